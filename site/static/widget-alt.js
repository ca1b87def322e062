// The website shows notebook 08's widgets from their saved state. An ipywidgets Image shows its tooltip as the
// image's title; helpers/widgets.py writes there what the picture shows, so it is made the image's alt text too,
// for a reader who cannot see it (a screen reader, the browser test that requires alt text on every image).
(function () {
  "use strict";
  function describeWidgetImages() {
    document.querySelectorAll("img.widget-image[title]").forEach((img) => {
      if (img.getAttribute("alt") !== img.title) img.setAttribute("alt", img.title);
    });
  }
  new MutationObserver(describeWidgetImages).observe(document.documentElement, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["title"],
  });
})();
