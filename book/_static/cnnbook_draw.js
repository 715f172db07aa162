/*
 * cnnbook_draw.js: draw a digit and watch a network of the book see it, in plain JavaScript.
 *
 * Three parts, each mirroring the book's Python package:
 *   1. ops: conv2d, relu, max_pool2d, dense, softmax on one image in NCHW (cnnbook.ops), from
 *      cnnbook_ops.js, which the page loads first;
 *   2. preprocessing: toGrey and mnistStyle, step by step and bit for bit
 *      (cnnbook.datasets.images.to_grey and mnist_style: the same float64 operations in the same
 *      order, rounding half to even);
 *   3. the page: a drawing canvas (mouse, touch and pen through Pointer Events), the 28x28 input,
 *      the feature maps, the class probabilities.
 *
 * The weights come from a file that cnnbook.models.export.export_model wrote; its script form
 * appends the model to window.cnnbookModels. A page holds <div class="cnnbook-draw"
 * data-models="post_tensorflow"></div>. No framework, no network access.
 *
 * Test hooks (used by tests/test_browser_draw.py): window.cnnbookDraw.forward(pixels, name)
 * runs a model on 784 values in [0, 1]; window.cnnbookDraw.widgets[i].state holds the last input.
 */
(function () {
  "use strict";

  /* ---------- 1. ops, NCHW, one image: cnnbook_ops.js (loaded first), shared with the concept pages ---------- */

  var ops = window.cnnbookOps;
  if (!ops) throw new Error("cnnbook_draw.js needs _static/cnnbook_ops.js, loaded before it");
  var conv2d = ops.conv2d, relu = ops.relu, maxPool2d = ops.maxPool2d, dense = ops.dense,
      softmax = ops.softmax, largest = ops.largest;

  /* ---------- 2. preprocessing, mirroring cnnbook/datasets/images.py ---------- */

  var LUMA = [0.299, 0.587, 0.114];
  var INK_THRESHOLD = 0.1;

  function roundHalfEven(v) {  // NumPy's rint and Python's round
    var r = Math.round(v);
    return (Math.abs(v % 1) === 0.5) ? 2 * Math.round(v / 2) : r;
  }

  function toGrey(rgba, height, width) {  // to_grey: uint8 (H, W)
    var grey = new Uint8Array(height * width);
    for (var i = 0; i < grey.length; i++) {
      var v = rgba[4 * i] * LUMA[0] + rgba[4 * i + 1] * LUMA[1] + rgba[4 * i + 2] * LUMA[2];
      grey[i] = Math.min(255, Math.max(0, roundHalfEven(v)));
    }
    return grey;
  }

  function areaWeights(sizeIn, sizeOut) {  // _area_weights: (sizeOut, sizeIn)
    var scale = sizeIn / sizeOut, rows = [];
    for (var i = 0; i < sizeOut; i++) {
      var row = new Float64Array(sizeIn), lo = i * scale, hi = (i + 1) * scale;
      for (var k = 0; k < sizeIn; k++) {
        var overlap = Math.min(hi, k + 1) - Math.max(lo, k);
        row[k] = (overlap > 0 ? overlap : 0) / scale;
      }
      rows.push(row);
    }
    return rows;
  }

  function resampleArea(src, h, w, height, width) {  // resample_area: rows, then columns
    var rw = areaWeights(h, height), cw = areaWeights(w, width);
    var tall = new Float64Array(height * w), out = new Float64Array(height * width);
    for (var i = 0; i < height; i++) {
      for (var k = 0; k < h; k++) {
        if (rw[i][k] === 0) continue;
        for (var x = 0; x < w; x++) tall[i * w + x] += rw[i][k] * src[k * w + x];
      }
    }
    for (var j = 0; j < width; j++) {
      for (var m = 0; m < w; m++) {
        if (cw[j][m] === 0) continue;
        for (var y = 0; y < height; y++) out[y * width + j] += cw[j][m] * tall[y * w + m];
      }
    }
    return out;
  }

  function borderMedian(a, h, w) {
    var border = [];
    for (var x = 0; x < w; x++) border.push(a[x]);
    for (x = 0; x < w; x++) border.push(a[(h - 1) * w + x]);
    for (var y = 0; y < h; y++) border.push(a[y * w]);
    for (y = 0; y < h; y++) border.push(a[y * w + w - 1]);
    border.sort(function (p, q) { return p - q; });
    var n = border.length;
    return n % 2 ? border[(n - 1) / 2] : (border[n / 2 - 1] + border[n / 2]) / 2;
  }

  // mnist_style: uint8 grey (h, w) -> {image: uint8 (size, size), inverted}, or null: no strokes
  function mnistStyle(grey, h, w, box, size) {
    box = box || 20; size = size || 28;
    var pixels = Float64Array.from(grey);
    var inverted = borderMedian(pixels, h, w) > 127;  // 1. polarity
    if (inverted) for (var i = 0; i < pixels.length; i++) pixels[i] = 255.0 - pixels[i];
    var paper = borderMedian(pixels, h, w), ink = new Float64Array(pixels.length), top = 0;
    for (i = 0; i < ink.length; i++) {  // 2. paper to black
      ink[i] = Math.max(pixels[i] - paper, 0.0);
      if (ink[i] > top) top = ink[i];
    }
    if (top <= 0) return null;
    var factor = 255.0 / top, r0 = h, r1 = -1, c0 = w, c1 = -1;
    for (i = 0; i < ink.length; i++) {
      ink[i] *= factor;
      if (ink[i] > INK_THRESHOLD * 255.0) {  // 3. crop to the ink
        var r = Math.floor(i / w), c = i % w;
        r0 = Math.min(r0, r); r1 = Math.max(r1, r); c0 = Math.min(c0, c); c1 = Math.max(c1, c);
      }
    }
    var ch = r1 - r0 + 1, cw = c1 - c0 + 1, crop = new Float64Array(ch * cw);
    for (var y = 0; y < ch; y++) for (var x = 0; x < cw; x++) crop[y * cw + x] = ink[(r0 + y) * w + c0 + x];
    var longer = Math.max(ch, cw);  // 4. fit the longer side to the box
    var nh = Math.max(1, roundHalfEven(ch * box / longer)), nw = Math.max(1, roundHalfEven(cw * box / longer));
    var patch = resampleArea(crop, ch, cw, nh, nw);
    var total = 0.0, massY = 0.0, massX = 0.0;  // 5. centre of mass, row-major sums
    for (y = 0; y < nh; y++) {
      for (x = 0; x < nw; x++) {
        var v = patch[y * nw + x];
        total += v; massY += v * y; massX += v * x;
      }
    }
    massY /= total; massX /= total;
    var centre = size / 2;
    var t = Math.min(Math.max(Math.floor(centre - massY + 0.5), 0), size - nh);
    var l = Math.min(Math.max(Math.floor(centre - massX + 0.5), 0), size - nw);
    var image = new Uint8Array(size * size);  // 6. round
    for (y = 0; y < nh; y++) {
      for (x = 0; x < nw; x++) {
        image[(t + y) * size + l + x] = Math.min(255, Math.max(0, roundHalfEven(patch[y * nw + x])));
      }
    }
    return {image: image, inverted: inverted};
  }

  /* ---------- the model: an export of cnnbook.models.export ---------- */

  function decodeTensor(item) {
    var bytes = atob(item.data), view = new DataView(new ArrayBuffer(bytes.length));
    for (var i = 0; i < bytes.length; i++) view.setUint8(i, bytes.charCodeAt(i));
    var data = new Float64Array(bytes.length / 4);
    for (var k = 0; k < data.length; k++) data[k] = view.getFloat32(4 * k, true);  // little-endian
    return {shape: item.shape, data: data, bytes: new Uint8Array(view.buffer)};
  }

  function Model(doc) {
    this.doc = doc;
    this.name = doc.model;
    this.tensors = {};
    for (var i = 0; i < doc.tensors.length; i++) this.tensors[doc.tensors[i].name] = decodeTensor(doc.tensors[i]);
  }

  Model.prototype.normalise = function (pixels) {  // [0, 1] -> (x - mean) / std, (C, H, W)
    var s = this.doc.input_shape, n = this.doc.normalisation, data = new Float64Array(pixels.length);
    var plane = s[1] * s[2];
    for (var i = 0; i < data.length; i++) {
      var c = Math.floor(i / plane);
      data[i] = n ? (pixels[i] - n.mean[c]) / n.std[c] : pixels[i];
    }
    return {shape: s.slice(), data: data};
  };

  // every layer's output, in order: [{label, kind, value}]; the logits precede the softmax
  Model.prototype.run = function (pixels) {
    var x = this.normalise(pixels), steps = [], t = this.tensors;
    for (var i = 0; i < this.doc.layers.length; i++) {
      var layer = this.doc.layers[i], k = layer.kind;
      var bias = layer.bias ? t[layer.label + ".bias"] : null;
      if (k === "conv2d") x = conv2d(x, t[layer.label + ".weight"], bias, layer.stride, layer.padding);
      else if (k === "relu") x = relu(x);
      else if (k === "max_pool2d") x = maxPool2d(x, layer.kernel, layer.stride);
      else if (k === "flatten") x = {shape: [x.data.length], data: x.data};
      else if (k === "dense") x = dense(x, t[layer.label + ".weight"], bias);
      else if (k === "softmax") x = softmax(x);
      else throw new Error("cnnbook_draw: unknown layer kind " + k);
      steps.push({label: layer.label, kind: k, value: x});
    }
    return steps;
  };

  Model.prototype.forward = function (pixels) {
    var steps = this.run(pixels), last = steps[steps.length - 1];
    var logits = last.kind === "softmax" ? steps[steps.length - 2].value : last.value;
    var probabilities = last.kind === "softmax" ? last.value : softmax(last.value);
    var best = 0;
    for (var i = 1; i < probabilities.data.length; i++) if (probabilities.data[i] > probabilities.data[best]) best = i;
    return {steps: steps, logits: Array.from(logits.data), probabilities: Array.from(probabilities.data), predicted: best};
  };

  Model.prototype.sha256 = function () {  // of the tensors' bytes, in the file's order
    if (!(window.crypto && window.crypto.subtle)) return Promise.resolve(null);
    var total = 0, names = this.doc.tensors.map(function (item) { return item.name; }), t = this.tensors;
    names.forEach(function (n) { total += t[n].bytes.length; });
    var all = new Uint8Array(total), at = 0;
    names.forEach(function (n) { all.set(t[n].bytes, at); at += t[n].bytes.length; });
    return window.crypto.subtle.digest("SHA-256", all).then(function (digest) {
      return Array.from(new Uint8Array(digest)).map(function (b) { return b.toString(16).padStart(2, "0"); }).join("");
    });
  };

  /* ---------- 3. the page ---------- */

  var shared = window.cnnbookPage, el = shared.el;

  function paint(canvas, data, h, w, scale) {  // values / scale through cividis (the book's map)
    shared.paint(canvas, data, h, w, "cividis", scale);
  }

  var PAD = 280, BRUSH = 20;

  function Widget(root, models) {
    var self = this;
    this.root = root;
    this.models = models;
    this.model = models[0];
    this.state = {input: null, result: null, empty: true};
    root.classList.add("cnnbook-draw-ready");
    root.textContent = "";

    var top = el("div", {"class": "cd-top"}, root);
    var pad = el("div", {"class": "cd-pad"}, top);
    this.help = "cd-help-" + Widget.count;
    this.canvas = el("canvas", {"class": "cd-canvas", width: PAD, height: PAD, tabindex: "0", role: "img",
      "aria-label": "Drawing area: draw one digit with a mouse, a finger or a pen",
      "aria-describedby": this.help}, pad);
    this.ctx = this.canvas.getContext("2d", {willReadFrequently: true});  // read after every stroke
    el("p", {"class": "cd-help", id: this.help}, pad,
       "Draw one digit, large, in the middle. Clear starts again (Escape also clears the focused drawing area).");
    var controls = el("div", {"class": "cd-controls"}, pad);
    this.clearButton = el("button", {type: "button", "class": "cd-clear"}, controls, "Clear");
    if (models.length > 1) {
      this.select = el("select", {"class": "cd-model", "aria-label": "Model"}, controls);
      models.forEach(function (m, i) { el("option", {value: String(i)}, self.select, m.name); });
      this.select.addEventListener("change", function () { self.model = models[Number(self.select.value)]; self.build(); self.update(); });
    }

    var seen = el("figure", {"class": "cd-input"}, top);
    this.inputCanvas = el("canvas", {width: 28, height: 28, role: "img",
      "aria-label": "The 28 by 28 input the network receives"}, seen);
    el("figcaption", {}, seen, "What the network receives: 28×28, in [0, 1]");

    var probs = el("div", {"class": "cd-probs"}, top);
    el("div", {"class": "cd-title"}, probs, "Class probabilities");
    this.live = el("p", {"class": "cd-verdict", "aria-live": "polite"}, probs, "Draw a digit.");
    this.bars = el("div", {"class": "cd-bars"}, probs);

    this.mapsRoot = el("div", {"class": "cd-maps-root"}, root);
    this.modelLine = el("p", {"class": "cd-model-line"}, root);

    this.clear();
    this.build();
    this.listen();
    Widget.count += 1;
  }
  Widget.count = 0;

  Widget.prototype.build = function () {  // the maps' and bars' elements for the current model
    var self = this, m = this.model, probe = m.forward(new Float64Array(m.doc.input_shape.reduce(function (a, b) { return a * b; })));
    this.mapsRoot.textContent = "";
    this.panels = [];
    probe.steps.forEach(function (step, index) {
      if (step.value.shape.length !== 3 || (step.kind !== "relu" && step.kind !== "max_pool2d")) return;
      var s = step.value.shape, box = el("section", {"class": "cd-stage"}, self.mapsRoot);
      var what = step.kind === "relu" ? "after the ReLU" : "after max pooling";
      var conv = step.kind === "relu" ? probe.steps[index - 1].label : step.label;
      el("h4", {}, box, conv + " " + what + ": " + s[0] + " maps of " + s[1] + "×" + s[2]);
      var scale = el("p", {"class": "cd-scale"}, box);
      var grid = el("div", {"class": "cd-maps"}, box), canvases = [];
      for (var c = 0; c < s[0]; c++) {
        canvases.push(el("canvas", {width: s[2], height: s[1], title: "map " + c, role: "img", "aria-label": conv + " map " + c}, grid));
      }
      self.panels.push({index: index, kind: step.kind, canvases: canvases, scale: scale});
    });
    this.bars.textContent = "";
    this.barRows = m.doc.class_names.map(function (name) {
      var row = el("div", {"class": "cd-bar"}, self.bars);
      el("span", {"class": "cd-bar-name"}, row, name);
      var track = el("span", {"class": "cd-bar-track"}, row);
      return {row: row, fill: el("span", {"class": "cd-bar-fill"}, track), value: el("span", {"class": "cd-bar-value"}, row, "")};
    });
    this.modelLine.textContent = "Model " + m.name + ", weights SHA-256 " + m.doc.sha256;
    m.sha256().then(function (hex) {
      if (self.model !== m) return;
      self.modelLine.textContent += hex === null ? " (this browser cannot check it here)" :
        hex === m.doc.sha256 ? " (checked in your browser)" : " (DOES NOT MATCH the weights loaded)";
    });
    this.show(null);  // the empty state: a black input, maps at 0, no bars
  };

  Widget.prototype.listen = function () {
    var self = this, c = this.canvas, last = null, ctx = this.ctx;
    function at(e) {
      var r = c.getBoundingClientRect();
      return [(e.clientX - r.left) * c.width / r.width, (e.clientY - r.top) * c.height / r.height];
    }
    function stroke(p) {
      ctx.beginPath();
      ctx.moveTo(last[0], last[1]);
      ctx.lineTo(p[0], p[1]);
      ctx.stroke();
      last = p;
    }
    c.addEventListener("pointerdown", function (e) {
      if (e.button !== 0) return;
      e.preventDefault();
      c.setPointerCapture(e.pointerId);
      last = at(e);
      ctx.beginPath();
      ctx.arc(last[0], last[1], BRUSH / 2, 0, 2 * Math.PI);
      ctx.fill();
      self.schedule();
    });
    c.addEventListener("pointermove", function (e) {
      if (last === null) return;
      var events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
      (events.length ? events : [e]).forEach(function (ev) { stroke(at(ev)); });
      self.schedule();
    });
    ["pointerup", "pointercancel"].forEach(function (type) {
      c.addEventListener(type, function () { last = null; self.schedule(); });
    });
    c.addEventListener("keydown", function (e) {
      if (e.key === "Escape" || e.key === "Delete" || e.key === "Backspace") { e.preventDefault(); self.clear(); }
    });
    this.clearButton.addEventListener("click", function () { self.clear(); });
  };

  Widget.prototype.clear = function () {
    var ctx = this.ctx;
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, PAD, PAD);
    ctx.fillStyle = ctx.strokeStyle = "#000000";
    ctx.lineWidth = BRUSH;
    ctx.lineCap = ctx.lineJoin = "round";
    this.state = {input: null, result: null, empty: true};
    if (this.panels) this.show(null);
  };

  Widget.prototype.schedule = function () {
    var self = this;
    if (this.pending) return;
    this.pending = true;
    window.requestAnimationFrame(function () { self.pending = false; self.update(); });
  };

  Widget.prototype.update = function () {  // canvas -> grey -> mnistStyle -> network -> display
    var rgba = this.ctx.getImageData(0, 0, PAD, PAD).data;
    var fitted = mnistStyle(toGrey(rgba, PAD, PAD), PAD, PAD, 20, 28);
    if (fitted === null) { this.state = {input: null, result: null, empty: true}; this.show(null); return; }
    var pixels = new Float64Array(784);
    for (var i = 0; i < 784; i++) pixels[i] = fitted.image[i] / 255;
    var result = this.model.forward(pixels);
    this.state = {input: Array.from(fitted.image), result: result, empty: false};
    this.show(fitted.image, result);
  };

  Widget.prototype.show = function (image, result) {
    var blank = new Float64Array(PAD * PAD);
    var ictx = this.inputCanvas.getContext("2d"), img = ictx.createImageData(28, 28);
    for (var i = 0; i < 784; i++) {
      var v = image ? image[i] : 0;
      img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v; img.data[4 * i + 3] = 255;
    }
    ictx.putImageData(img, 0, 0);
    var steps = result ? result.steps : null, scale = 0;
    this.panels.forEach(function (p) {
      // one colour scale per convolution: the largest value after its ReLU, which the maps
      // after pooling share (max pooling keeps that largest value)
      var value = steps ? steps[p.index].value : null;
      if (value && p.kind === "relu") scale = largest(value.data);
      p.canvases.forEach(function (canvas, c) {
        var plane = canvas.width * canvas.height;
        paint(canvas, value ? value.data.subarray(c * plane, (c + 1) * plane) : blank, canvas.height, canvas.width, scale);
      });
      p.scale.textContent = "";
      el("span", {"class": "cd-ramp"}, p.scale);
      el("span", {}, p.scale, " one colour scale for all " + p.canvases.length + " maps: 0 (dark blue) to " +
         (value ? scale.toFixed(2) : "the largest value") + " (yellow)");
    });
    var probs = result ? result.probabilities : null;
    this.barRows.forEach(function (b, k) {
      var p = probs ? probs[k] : 0;
      b.fill.style.width = (100 * p).toFixed(1) + "%";
      b.value.textContent = probs ? (100 * p).toFixed(1) + "%" : "";
      b.row.classList.toggle("cd-best", !!result && result.predicted === k);
    });
    this.live.textContent = result ? "The network says " + this.model.doc.class_names[result.predicted] +
      " (" + (100 * probs[result.predicted]).toFixed(1) + "%)." : "Draw a digit.";
  };

  /* ---------- start ---------- */

  var api = {models: {}, widgets: [], ops: ops,
             toGrey: toGrey, mnistStyle: mnistStyle, resampleArea: resampleArea, Model: Model};

  api.forward = function (pixels, name) {  // test hook: 784 values in [0, 1] -> logits, probabilities
    var model = api.models[name || Object.keys(api.models)[0]], out = model.forward(Float64Array.from(pixels));
    return {logits: out.logits, probabilities: out.probabilities, predicted: out.predicted};
  };

  function start() {
    (window.cnnbookModels || []).forEach(function (doc) { api.models[doc.model] = new Model(doc); });
    document.querySelectorAll(".cnnbook-draw").forEach(function (root) {
      var names = (root.getAttribute("data-models") || "").split(/\s+/).filter(Boolean);
      var models = names.map(function (n) { return api.models[n]; }).filter(Boolean);
      if (models.length !== names.length || !models.length) {
        root.textContent = "The model's weights did not load (" + names.join(", ") + "): build the book with `make book`.";
        return;
      }
      api.widgets.push(new Widget(root, models));
    });
  }

  window.cnnbookDraw = api;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
