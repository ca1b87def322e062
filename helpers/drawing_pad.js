// The drawing pad's front end, an anywidget module (helpers/drawing.py loads it as DrawingCanvas._esm).
//
// The browser owns the drawing: strokes are drawn here, white on black like MNIST, without a round trip to
// the kernel.  When the pen goes up the pad sends its pixels to Python in the `pixels` trait (size x size
// bytes, one gray level per pixel, row by row); Clear sends empty bytes.  Every view (a reloaded page, a
// reopened tab, the same widget displayed twice) starts from `pixels`, so it shows the current drawing.

function asBytes(value) {
  if (!value) return new Uint8Array(0);
  if (value instanceof DataView) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return new Uint8Array(0);
}

function render({ model, el }) {
  const size = model.get("size");
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  canvas.className = "course-drawing-pad";
  canvas.title = "draw one digit with the mouse";
  canvas.style.cssText = `width:${size}px;height:${size}px;border:1px solid #999;background:black;`
    + "cursor:crosshair;touch-action:none;display:block;";
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const clear = document.createElement("button");
  clear.className = "jupyter-button widget-button course-drawing-pad-clear";
  clear.textContent = "Clear";
  clear.style.cssText = "margin-top:6px;width:auto;padding:0 16px;";
  el.append(canvas, clear);

  function paint() {
    ctx.fillStyle = "black";
    ctx.fillRect(0, 0, size, size);
    const gray = asBytes(model.get("pixels"));
    if (gray.length !== size * size) return;
    const image = ctx.createImageData(size, size);
    for (let i = 0; i < gray.length; i++) {
      image.data.set([gray[i], gray[i], gray[i], 255], 4 * i);
    }
    ctx.putImageData(image, 0, 0);
  }

  function send(gray) {
    model.set("pixels", new DataView(gray.buffer));
    model.save_changes();
  }

  function pixels() {
    const rgba = ctx.getImageData(0, 0, size, size).data;
    const gray = new Uint8Array(size * size);
    for (let i = 0; i < gray.length; i++) gray[i] = rgba[4 * i];
    return gray;
  }

  function at(event) {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * size / box.width, (event.clientY - box.top) * size / box.height];
  }

  let last = null; // the pen's last point while it is down
  function stroke(from, to) {
    ctx.strokeStyle = ctx.fillStyle = "white";
    ctx.lineWidth = model.get("line_width");
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(...from);
    ctx.lineTo(...to);
    ctx.stroke();
  }

  canvas.addEventListener("pointerdown", (event) => {
    canvas.setPointerCapture(event.pointerId);
    last = at(event);
    stroke(last, last);
    event.preventDefault();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (last === null) return;
    const point = at(event);
    stroke(last, point);
    last = point;
  });
  const penUp = () => {
    if (last === null) return;
    last = null;
    send(pixels());
  };
  canvas.addEventListener("pointerup", penUp);
  canvas.addEventListener("pointercancel", penUp);
  clear.addEventListener("click", () => {
    last = null;
    ctx.fillStyle = "black";
    ctx.fillRect(0, 0, size, size);
    send(new Uint8Array(0));
  });

  const onChange = () => { if (last === null) paint(); };
  model.on("change:pixels", onChange);
  paint();
  return () => model.off("change:pixels", onChange);
}

export default { render };
