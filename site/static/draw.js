// The website's drawing pad: draw a digit, and the course's reference CNN reads it in this browser, with no
// kernel and no server.  TensorFlow.js (tf.min.js, from npm: site/package.json) runs the model; its layers and
// weights come from scripts/export_tfjs.py (_static/model/).  The drawing goes through the same preprocessing
// as notebook 08 (helpers/own_images.py, mnist_steps): ink made light on dark, contrast stretched, faint pixels
// dropped, cropped to the digit, fitted into 20x20 with Pillow's Lanczos filter, centred by mass in 28x28.
// window.CourseDraw exposes the pieces for the browser tests (tests/browser/test_3_site.py).
(function () {
  "use strict";

  // ---- numbers as Python computes them
  function formatProbability(p) { // helpers.style.format_probability: never a false 100 % or 0 %
    if (p >= 1) return "100%";
    if (p <= 0) return "0%";
    if (p >= 0.9995) return ">99.9%";
    if (p < 0.0005) return "<0.1%";
    return `${(100 * p).toFixed(1)}%`;
  }

  function roundHalfEven(x) { // Python's round()
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  }

  function percentile(sorted, q) { // numpy.percentile, linear interpolation
    const pos = (sorted.length - 1) * q / 100;
    const lo = Math.floor(pos), hi = Math.ceil(pos);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  }

  function inkIsDark(gray, w, h) { // own_images.ink_is_dark, on gray levels 0..255
    const border = [];
    for (let x = 0; x < w; x++) border.push(gray[x], gray[(h - 1) * w + x]);
    for (let y = 0; y < h; y++) border.push(gray[y * w], gray[y * w + w - 1]);
    border.sort((a, b) => a - b);
    const paper = percentile(border, 50);
    const all = Float64Array.from(gray).sort();
    return paper - percentile(all, 0.1) > percentile(all, 99.9) - paper;
  }

  function autocontrastLow1(pixels) { // PIL ImageOps.autocontrast(image, cutoff=(1, 0)) on an L image
    const h = new Array(256).fill(0);
    for (const v of pixels) h[v]++;
    let cut = Math.floor(pixels.length * 1 / 100);
    for (let lo = 0; lo < 256; lo++) {
      if (cut > h[lo]) { cut -= h[lo]; h[lo] = 0; } else { h[lo] -= cut; cut = 0; }
      if (cut <= 0) break;
    }
    let lo = 0, hi = 255;
    for (lo = 0; lo < 256 && !h[lo]; lo++);
    for (hi = 255; hi >= 0 && !h[hi]; hi--);
    const lut = new Uint8Array(256);
    for (let i = 0; i < 256; i++) {
      if (hi <= lo) { lut[i] = i; continue; }
      const scale = 255.0 / (hi - lo);
      const v = Math.trunc(i * scale - lo * scale);
      lut[i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    return pixels.map((v) => lut[v]);
  }

  // Pillow's resize(..., Image.Resampling.LANCZOS) of an 8-bit image: separable, horizontal pass first, each
  // pass rounded to 8 bits with 22-bit fixed-point coefficients (libImaging/Resample.c).
  const PRECISION_BITS = 32 - 8 - 2;
  function sinc(x) { if (x === 0) return 1; x *= Math.PI; return Math.sin(x) / x; }
  function lanczos(x) { return -3 <= x && x < 3 ? sinc(x) * sinc(x / 3) : 0; }

  function coefficients(inSize, outSize) {
    const scale = inSize / outSize;
    const filterscale = Math.max(scale, 1.0);
    const support = 3 * filterscale;
    const rows = [];
    for (let xx = 0; xx < outSize; xx++) {
      const center = (xx + 0.5) * scale;
      const ss = 1.0 / filterscale;
      let xmin = Math.trunc(center - support + 0.5); if (xmin < 0) xmin = 0;
      let xmax = Math.trunc(center + support + 0.5); if (xmax > inSize) xmax = inSize; xmax -= xmin;
      const k = [];
      let ww = 0;
      for (let x = 0; x < xmax; x++) { const w = lanczos((x + xmin - center + 0.5) * ss); k.push(w); ww += w; }
      const fixed = k.map((w) => {
        const v = ww !== 0 ? w / ww : w;
        return v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
      });
      rows.push({ xmin, k: fixed });
    }
    return rows;
  }

  function clip8(ss) {
    if (ss <= 0) return 0;
    const v = Math.floor(ss / (1 << PRECISION_BITS));
    return v > 255 ? 255 : v;
  }

  function horizontalPass(src, w, h, outW) {
    const cs = coefficients(w, outW), out = new Uint8Array(outW * h);
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < outW; xx++) {
        let ss = 1 << (PRECISION_BITS - 1);
        const { xmin, k } = cs[xx];
        for (let x = 0; x < k.length; x++) ss += src[y * w + x + xmin] * k[x];
        out[y * outW + xx] = clip8(ss);
      }
    }
    return out;
  }

  function verticalPass(src, w, h, outH) {
    const cs = coefficients(h, outH), out = new Uint8Array(w * outH);
    for (let yy = 0; yy < outH; yy++) {
      const { xmin: ymin, k } = cs[yy];
      for (let x = 0; x < w; x++) {
        let ss = 1 << (PRECISION_BITS - 1);
        for (let y = 0; y < k.length; y++) ss += src[(y + ymin) * w + x] * k[y];
        out[yy * w + x] = clip8(ss);
      }
    }
    return out;
  }

  function resizeLanczos(src, w, h, outW, outH) {
    if (outW === w) return outH === h ? Uint8Array.from(src) : verticalPass(src, w, h, outH);
    if (outH === h) return horizontalPass(src, w, h, outW);
    // Both sides change: Pillow 13 gives the result of the vertical pass first when shrinking an image more
    // than twice as tall as wide, and of the horizontal pass first otherwise (measured on 1,500 random sizes
    // against Image.resize; tests/browser/test_3_site.py compares real drawings with notebook 08's steps).
    if (h > 2 * w && outH < h) return horizontalPass(verticalPass(src, w, h, outH), w, outH, outW);
    return verticalPass(horizontalPass(src, w, h, outW), outW, h, outH);
  }

  // own_images.mnist_steps on gray levels (0..255, row by row): the 28x28 model input (Float32Array of 784),
  // or null when there is no digit to read.
  function toMnistInput(gray, w, h, threshold = 0.2) {
    let pixels = Uint8Array.from(gray);
    if (inkIsDark(pixels, w, h)) pixels = pixels.map((v) => 255 - v);
    let low = 255, high = 0;
    for (const v of pixels) { if (v < low) low = v; if (v > high) high = v; }
    if (high - low < 1) return null;
    const cut = roundHalfEven(threshold * 255);
    const stretched = autocontrastLow1(pixels).map((v) => (v < cut ? 0 : v));
    let left = w, top = h, right = -1, bottom = -1;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      if (stretched[y * w + x]) { if (x < left) left = x; if (x > right) right = x; if (y < top) top = y; if (y > bottom) bottom = y; }
    }
    if (right < 0) return null;
    const cw = right - left + 1, ch = bottom - top + 1;
    const cropped = new Uint8Array(cw * ch);
    for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) cropped[y * cw + x] = stretched[(y + top) * w + x + left];
    const scale = 20.0 / Math.max(cw, ch);
    const fw = Math.max(1, roundHalfEven(cw * scale)), fh = Math.max(1, roundHalfEven(ch * scale));
    const fitted8 = resizeLanczos(cropped, cw, ch, fw, fh);
    const fitted = Float32Array.from(fitted8, (v) => Math.fround(v / 255));
    let total = 0, rowMoment = 0, colMoment = 0;
    for (let y = 0; y < fh; y++) for (let x = 0; x < fw; x++) {
      const v = fitted[y * fw + x]; total += v; rowMoment += v * y; colMoment += v * x;
    }
    if (total === 0) return null;
    const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
    const topOff = clamp(roundHalfEven(13.5 - rowMoment / total), 0, 28 - fh);
    const leftOff = clamp(roundHalfEven(13.5 - colMoment / total), 0, 28 - fw);
    const input = new Float32Array(28 * 28);
    for (let y = 0; y < fh; y++) for (let x = 0; x < fw; x++) input[(y + topOff) * 28 + x + leftOff] = fitted[y * fw + x];
    return input;
  }

  // ---- the model: the exported layers rebuilt with TensorFlow.js, and the exported weights set
  async function loadModel(base) {
    const description = await (await fetch(base + "model.json")).json();
    const buffer = await (await fetch(base + "weights.bin")).arrayBuffer();
    const all = new Float32Array(buffer);
    const model = tf.sequential({ name: description.name });
    description.layers.forEach((layer, i) => {
      const c = layer.config;
      const first = i === 0 ? { inputShape: description.input_shape } : {};
      const common = { name: layer.name, ...first };
      let made;
      if (layer.class === "Conv2D") {
        made = tf.layers.conv2d({ ...common, filters: c.filters, kernelSize: c.kernel_size, strides: c.strides,
          padding: c.padding, activation: c.activation, useBias: c.use_bias });
      } else if (layer.class === "MaxPooling2D") {
        made = tf.layers.maxPooling2d({ ...common, poolSize: c.pool_size, strides: c.strides, padding: c.padding });
      } else if (layer.class === "Flatten") {
        made = tf.layers.flatten(common);
      } else if (layer.class === "Dense") {
        made = tf.layers.dense({ ...common, units: c.units, activation: c.activation, useBias: c.use_bias });
      } else if (layer.class === "Dropout") {
        made = tf.layers.dropout({ ...common, rate: c.rate });
      } else if (layer.class === "Rescaling") {
        made = tf.layers.rescaling({ ...common, scale: c.scale, offset: c.offset });
      } else {
        throw new Error("unknown layer " + layer.class);
      }
      model.add(made);
    });
    description.layers.forEach((layer) => {
      if (!layer.weights.length) return;
      const tensors = layer.weights.map((w) => {
        const size = w.shape.reduce((a, b) => a * b, 1);
        return tf.tensor(all.subarray(w.offset, w.offset + size), w.shape, "float32");
      });
      model.getLayer(layer.name).setWeights(tensors);
      tensors.forEach((t) => t.dispose());
    });
    return { model, bytes: buffer.byteLength, parameters: all.length };
  }

  function predict(model, inputs) { // inputs: Float32Array of n * 784 -> Float32Array of n * 10
    return tf.tidy(() => model.predict(tf.tensor4d(inputs, [inputs.length / 784, 28, 28, 1])).dataSync());
  }

  // ---- the page
  async function start(root) {
    const status = root.querySelector(".course-draw-status");
    const canvas = root.querySelector("canvas.course-draw-pad");
    const preview = root.querySelector("canvas.course-draw-input");
    const bars = root.querySelector(".course-draw-bars");
    const answer = root.querySelector(".course-draw-answer");
    const timing = root.querySelector(".course-draw-timing");
    const size = canvas.width;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    function blank() { ctx.fillStyle = "black"; ctx.fillRect(0, 0, size, size); }
    blank();

    let loaded;
    const t0 = performance.now();
    try {
      // The CPU backend: for a model this small, one prediction takes milliseconds, the first one included
      // (WebGL compiles its shaders first: about a second, and minutes for 2,000 digits without a GPU).
      await tf.setBackend("cpu");
      loaded = await loadModel(root.dataset.model);
    } catch (error) {
      status.textContent = "The model could not be loaded: " + error.message;
      return;
    }
    const loadMs = performance.now() - t0;
    status.textContent = `Model loaded: ${loaded.parameters.toLocaleString("en")} weights, ` +
      `${(loaded.bytes / 1024).toFixed(0)} KB, in ${loadMs.toFixed(0)} ms (TensorFlow.js, ${tf.getBackend()} backend).`;
    root.dataset.ready = "true";

    const times = [];
    function read() {
      const rgba = ctx.getImageData(0, 0, size, size).data;
      const gray = new Uint8Array(size * size);
      for (let i = 0; i < gray.length; i++) gray[i] = rgba[4 * i];
      const t = performance.now();
      const input = toMnistInput(gray, size, size);
      if (!input) { answer.textContent = "Draw a digit first: the pad is empty."; return; }
      const probabilities = predict(loaded.model, input);
      times.push(performance.now() - t);
      const digit = probabilities.indexOf(Math.max(...probabilities));
      answer.textContent = `The CNN reads a ${digit} (probability ${formatProbability(probabilities[digit])}).`;
      root.dataset.digit = String(digit);
      const later = times.slice(1);
      timing.textContent = `Preprocessing and prediction took ${times[0].toFixed(1)} ms the first time` +
        (later.length ? ` and ${(later.reduce((a, b) => a + b, 0) / later.length).toFixed(1)} ms on average ` +
          `over the ${later.length} later time${later.length > 1 ? "s" : ""}.` : ".");
      const pctx = preview.getContext("2d");
      const image = pctx.createImageData(28, 28);
      input.forEach((v, i) => image.data.set([255 * v, 255 * v, 255 * v, 255], 4 * i));
      pctx.putImageData(image, 0, 0);
      bars.innerHTML = "";
      probabilities.forEach((p, d) => {
        const row = document.createElement("div");
        row.className = "course-draw-bar";
        row.innerHTML = `<span>${d}</span><span class="course-draw-fill" style="width:${(100 * p).toFixed(1)}%"></span>` +
          `<span>${formatProbability(p)}</span>`;
        bars.append(row);
      });
    }

    let last = null;
    const at = (e) => { const b = canvas.getBoundingClientRect(); return [(e.clientX - b.left) * size / b.width, (e.clientY - b.top) * size / b.height]; };
    function stroke(from, to) {
      ctx.strokeStyle = "white"; ctx.lineWidth = 18; ctx.lineCap = ctx.lineJoin = "round";
      ctx.beginPath(); ctx.moveTo(...from); ctx.lineTo(...to); ctx.stroke();
    }
    canvas.addEventListener("pointerdown", (e) => { canvas.setPointerCapture(e.pointerId); last = at(e); stroke(last, last); e.preventDefault(); });
    canvas.addEventListener("pointermove", (e) => { if (last === null) return; const p = at(e); stroke(last, p); last = p; });
    const up = () => { if (last === null) return; last = null; read(); };
    canvas.addEventListener("pointerup", up);
    canvas.addEventListener("pointercancel", up);
    root.querySelector(".course-draw-clear").addEventListener("click", () => {
      blank(); bars.innerHTML = ""; answer.textContent = ""; delete root.dataset.digit;
      preview.getContext("2d").clearRect(0, 0, 28, 28);
    });
    window.CourseDraw.model = loaded.model;
  }

  window.CourseDraw = { toMnistInput, loadModel, predict, resizeLanczos, autocontrastLow1, formatProbability };
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".course-draw").forEach((root) => start(root));
  });
})();
