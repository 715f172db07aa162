/*
 * cnnbook_widgets.js: the concept pages' live figures, computed in the reader's browser by
 * cnnbook_ops.js (the arithmetic of cnnbook.ops, tested against it in Chromium).
 *
 *   <div class="cnnbook-widget" data-widget="conv">text shown when JavaScript is off</div>
 *
 * data-widget is one of
 *   conv      convolution playground: an MNIST test digit, an editable 3x3 or 5x5 kernel with
 *             presets, the output map on one signed colour scale; an output pixel's window and sum;
 *   geometry  padding, stride and dilation: the output size formula and the windows on the input;
 *   field     receptive fields: a layer and a unit of one of the post's models, its field drawn;
 *   shift     pooling and shifts: a digit moved by whole pixels, its edge maps before and after
 *             pooling, and the share of active values that changed (the pooling chapter's measure).
 *
 * Data: window.cnnbookWidgetData (models/cnnbook_widget_data.js, written by the book's build step:
 * MNIST test digits by index and the post's models' layer geometry); the conv widget also offers
 * the first-layer filters of window.cnnbookModels' post_tensorflow (the draw-a-digit network)
 * when that file is loaded. No framework, no network access.
 *
 * Test hooks (tests/test_browser_widgets.py): window.cnnbookWidgets.list[i] has kind, root, state
 * (what was last computed and drawn), set(options) (a scripted interaction) and update().
 */
(function () {
  "use strict";

  var ops = window.cnnbookOps, shared = window.cnnbookPage;
  var api = {list: [], kinds: {}};
  if (!ops || !shared) throw new Error("cnnbook_widgets.js needs _static/cnnbook_ops.js, loaded before it");
  var el = shared.el, paint = shared.paint, RAMPS = shared.ramps;
  window.cnnbookWidgets = api;

  /* ---------- shared: elements, colours, digits ---------- */

  var uid = 0;
  function nextId(prefix) { uid += 1; return prefix + "-" + uid; }

  function colourBar(parent, map) {  // a ramp with its end labels, which update() sets
    var bar = el("div", {"class": "cw-colourbar"}, parent);
    var low = el("span", {"class": "cw-low"}, bar), ramp = el("span", {"class": "cw-ramp", "aria-hidden": "true"}, bar);
    ramp.style.background = RAMPS[map];
    var high = el("span", {"class": "cw-high"}, bar);
    return {set: function (lo, hi) { low.textContent = lo; high.textContent = hi; }};
  }

  function fmt(v, digits) {
    var text = v.toFixed(digits === undefined ? 2 : digits);
    return text.replace(/^-/, "\u2212") === "\u22120.00" ? "0.00" : text.replace(/^-/, "\u2212");
  }

  function data() { return window.cnnbookWidgetData || null; }

  function decodeDigit(item) {  // -> {index, label, pixels: Float64Array(784) in [0, 1]}
    var bytes = atob(item.pixels), pixels = new Float64Array(bytes.length);
    for (var i = 0; i < bytes.length; i++) pixels[i] = bytes.charCodeAt(i) / 255;
    return {index: item.index, label: item.label, pixels: pixels};
  }

  function digitPicker(parent, digits, onChange) {
    var id = nextId("cw-digit"), box = el("div", {"class": "cw-control"}, parent);
    el("label", {"for": id}, box, "MNIST test digit");
    var select = el("select", {id: id}, box);
    digits.forEach(function (d, i) {
      el("option", {value: String(i)}, select, "a " + d.label + " (test image #" + d.index + ")");
    });
    select.addEventListener("change", function () { onChange(Number(select.value)); });
    return select;
  }

  function range(parent, label, min, max, value, onChange) {  // a labelled slider with its value
    var id = nextId("cw-range"), box = el("div", {"class": "cw-control"}, parent);
    el("label", {"for": id}, box, label);
    var input = el("input", {id: id, type: "range", min: String(min), max: String(max), step: "1", value: String(value)}, box);
    var shown = el("output", {"for": id, "class": "cw-value"}, box, String(value));
    input.addEventListener("input", function () { shown.textContent = input.value; onChange(Number(input.value)); });
    return {
      input: input,
      get: function () { return Number(input.value); },
      set: function (v) { input.value = String(v); shown.textContent = input.value; },
      limit: function (lo, hi) { input.min = String(lo); input.max = String(hi); }
    };
  }

  function canvasFigure(parent, caption, cls) {
    var fig = el("figure", {"class": "cw-figure " + (cls || "")}, parent);
    var canvas = el("canvas", {role: "img", "aria-label": caption}, fig);
    el("figcaption", {}, fig, caption);
    return canvas;
  }

  function clamp(v, lo, hi) { return Math.min(Math.max(v, lo), hi); }

  // a cell of a grid canvas (h x w cells, drawn at its CSS size) under a pointer event
  function cellAt(canvas, event, h, w) {
    var box = canvas.getBoundingClientRect();
    return [clamp(Math.floor((event.clientY - box.top) / box.height * h), 0, h - 1),
            clamp(Math.floor((event.clientX - box.left) / box.width * w), 0, w - 1)];
  }

  // arrow keys move [row, column] inside h x w; returns true when the key was used
  function arrowMove(event, at, h, w) {
    var moves = {ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1]};
    var m = moves[event.key];
    if (!m) return false;
    event.preventDefault();
    at[0] = clamp(at[0] + m[0], 0, h - 1);
    at[1] = clamp(at[1] + m[1], 0, w - 1);
    return true;
  }

  // a canvas of h x w cells, each `cell` canvas pixels (about 240 across, so that lines drawn
  // on it stay thin when the page scales it), drawn by draw(ctx, cell)
  function overlay(canvas, h, w, draw) {
    var cell = Math.max(8, Math.ceil(240 / Math.max(h, w)));
    canvas.width = w * cell; canvas.height = h * cell;
    var ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    draw(ctx, cell);
  }

  function imageLayer(ctx, pixels, h, w, map, top, cell) {  // pixels as cell x cell squares
    var tmp = document.createElement("canvas");
    paint(tmp, pixels, h, w, map, top);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(tmp, 0, 0, w * cell, h * cell);
  }

  function tensor(pixels, h, w) { return {shape: [1, h, w], data: pixels}; }

  /* ---------- 1. convolution playground ---------- */

  var PRESETS = {
    identity: {label: "identity", k: [[0, 0, 0], [0, 1, 0], [0, 0, 0]]},
    blur: {label: "blur (box average)", box: true},
    sobel_x: {label: "Sobel x (vertical edges)", k: [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]},
    sobel_y: {label: "Sobel y (horizontal edges)", k: [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]},
    sharpen: {label: "sharpen", k: [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]}
  };

  function presetKernel(name, size) {  // a preset at 3x3 or 5x5 (3x3 ones centred in 5x5)
    var p = PRESETS[name], out = new Float64Array(size * size);
    if (p.box) { out.fill(1 / (size * size)); return out; }
    var off = (size - 3) / 2;
    for (var i = 0; i < 3; i++) for (var j = 0; j < 3; j++) out[(i + off) * size + j + off] = p.k[i][j];
    return out;
  }

  function learnedFilters() {  // the draw-a-digit network's conv1 filters, when its file is loaded
    var doc = (window.cnnbookModels || []).filter(function (m) { return m.model === "post_tensorflow"; })[0];
    if (!doc) return [];
    var item = doc.tensors.filter(function (t) { return t.name === "conv1.weight"; })[0];
    if (!item || item.shape[1] !== 1 || item.shape[2] !== 3 || item.shape[3] !== 3) return [];
    var bytes = atob(item.data), view = new DataView(new ArrayBuffer(bytes.length));
    for (var i = 0; i < bytes.length; i++) view.setUint8(i, bytes.charCodeAt(i));
    var filters = [];
    for (var o = 0; o < item.shape[0]; o++) {
      var f = new Float64Array(9);
      for (var k = 0; k < 9; k++) f[k] = view.getFloat32(4 * (o * 9 + k), true);
      filters.push(f);
    }
    return filters;
  }

  function ConvWidget(root, digits) {
    var self = this;
    this.kind = "conv";
    this.root = root;
    this.digits = digits;
    this.learned = learnedFilters();
    this.size = 3;
    this.digit = 0;
    this.kernel = presetKernel("sobel_x", 3);
    this.preset = "sobel_x";
    this.selected = [12, 12];
    this.state = {};

    var controls = el("div", {"class": "cw-controls"}, root);
    this.digitSelect = digitPicker(controls, digits, function (i) { self.digit = i; self.update(); });
    var sizeId = nextId("cw-size"), sizeBox = el("div", {"class": "cw-control"}, controls);
    el("label", {"for": sizeId}, sizeBox, "Kernel size");
    this.sizeSelect = el("select", {id: sizeId}, sizeBox);
    el("option", {value: "3"}, this.sizeSelect, "3 × 3");
    el("option", {value: "5"}, this.sizeSelect, "5 × 5");
    this.sizeSelect.addEventListener("change", function () { self.set({size: Number(self.sizeSelect.value)}); });
    var presetId = nextId("cw-preset"), presetBox = el("div", {"class": "cw-control"}, controls);
    el("label", {"for": presetId}, presetBox, "Preset");
    this.presetSelect = el("select", {id: presetId}, presetBox);
    Object.keys(PRESETS).forEach(function (name) { el("option", {value: name}, self.presetSelect, PRESETS[name].label); });
    this.learned.forEach(function (f, i) {
      el("option", {value: "learned_" + i}, self.presetSelect, "draw-a-digit filter " + (i + 1) + " (3 × 3)");
    });
    el("option", {value: "custom"}, this.presetSelect, "your own (edit the numbers)");
    this.presetSelect.value = this.preset;
    this.presetSelect.addEventListener("change", function () {
      if (self.presetSelect.value !== "custom") self.set({preset: self.presetSelect.value});
    });

    var body = el("div", {"class": "cw-body"}, root);
    var kernelBox = el("fieldset", {"class": "cw-kernel"}, body);
    el("legend", {}, kernelBox, "Kernel weights");
    this.kernelGrid = el("div", {"class": "cw-kernel-grid"}, kernelBox);
    this.inputCanvas = canvasFigure(body, "Input: the digit, and the window of the selected output pixel", "cw-pixels");
    var outFig = el("figure", {"class": "cw-figure cw-pixels"}, body);
    this.outCanvas = el("canvas", {tabindex: "0", role: "img", "class": "cw-pick",
      "aria-label": "Output map; arrow keys or a tap select an output pixel"}, outFig);
    el("figcaption", {}, outFig, "Output map (no padding, stride 1): tap a pixel or use the arrow keys");
    this.bar = colourBar(outFig, "puor");
    this.sum = el("div", {"class": "cw-readout", "aria-live": "polite"}, root);

    this.outCanvas.addEventListener("pointermove", function (e) {
      if (e.pointerType === "mouse") self.pick(cellAt(self.outCanvas, e, self.state.shape[0], self.state.shape[1]));
    });
    this.outCanvas.addEventListener("pointerdown", function (e) {
      self.pick(cellAt(self.outCanvas, e, self.state.shape[0], self.state.shape[1]));
    });
    this.outCanvas.addEventListener("keydown", function (e) {
      var at = self.selected.slice();
      if (arrowMove(e, at, self.state.shape[0], self.state.shape[1])) self.pick(at);
    });
    this.buildKernel();
    this.update();
  }

  ConvWidget.prototype.buildKernel = function () {
    var self = this, n = this.size;
    this.kernelGrid.textContent = "";
    this.kernelGrid.style.gridTemplateColumns = "repeat(" + n + ", minmax(0, 1fr))";
    this.inputs = [];
    for (var i = 0; i < n * n; i++) {
      var input = el("input", {type: "number", step: "0.1", inputmode: "decimal",
        "aria-label": "kernel weight, row " + (Math.floor(i / n) + 1) + ", column " + (i % n + 1)}, this.kernelGrid);
      input.addEventListener("input", (function (k, box) {
        return function () {
          var v = parseFloat(box.value);
          if (!isFinite(v)) return;  // half-typed ("-", "") keeps the last weight
          self.kernel[k] = v;
          self.preset = "custom"; self.presetSelect.value = "custom";
          self.update();
        };
      })(i, input));
      this.inputs.push(input);
    }
    this.showKernel();
  };

  ConvWidget.prototype.showKernel = function () {
    var k = this.kernel;
    this.inputs.forEach(function (box, i) { box.value = String(Math.round(k[i] * 1e4) / 1e4); });
  };

  // options: {digit (index into the page's digits), size (3 or 5), preset, kernel (size*size
  // numbers, row-major), select ([row, column] of the output)}
  ConvWidget.prototype.set = function (options) {
    if (options.digit !== undefined) { this.digit = options.digit; this.digitSelect.value = String(options.digit); }
    var preset = options.preset || null, size = options.size;
    if (preset && preset.indexOf("learned_") === 0) size = 3;
    if (size !== undefined && size !== this.size) {
      if (size !== 3 && size !== 5) throw new Error("kernel size must be 3 or 5, not " + size);
      this.size = size; this.sizeSelect.value = String(size);
      if (!preset && !options.kernel) {  // the same preset at the new size; a 3x3 one becomes identity
        preset = this.preset === "custom" || this.preset.indexOf("learned_") === 0 ? "identity" : this.preset;
      }
      this.kernel = new Float64Array(size * size);
      this.buildKernel();
    }
    if (preset && preset !== "custom") {
      this.kernel = preset.indexOf("learned_") === 0 ? Float64Array.from(this.learned[Number(preset.slice(8))])
                                                     : presetKernel(preset, this.size);
      this.preset = preset; this.presetSelect.value = preset;
    }
    if (options.kernel) {
      if (options.kernel.length !== this.size * this.size) throw new Error("a " + this.size + "x" + this.size + " kernel has " + this.size * this.size + " weights");
      this.kernel = Float64Array.from(options.kernel);
      this.preset = "custom"; this.presetSelect.value = "custom";
    }
    this.showKernel();
    if (options.select) this.selected = options.select.slice();
    this.update();
  };

  ConvWidget.prototype.update = function () {
    var n = this.size, d = this.digits[this.digit];
    var out = ops.conv2d(tensor(d.pixels, 28, 28), {shape: [1, 1, n, n], data: this.kernel}, null, 1, 0, 1);
    var h = out.shape[1], w = out.shape[2];
    this.selected = [clamp(this.selected[0], 0, h - 1), clamp(this.selected[1], 0, w - 1)];
    var top = 0;
    for (var i = 0; i < out.data.length; i++) top = Math.max(top, Math.abs(out.data[i]));
    this.bar.set(fmt(-top), "+" + fmt(top) + " (white: 0)");
    this.state = {digit: d.index, label: d.label, size: n, kernel: Array.from(this.kernel), preset: this.preset,
                  shape: [h, w], output: Array.from(out.data), top: top};
    this.pick(this.selected);
  };

  ConvWidget.prototype.pick = function (at) {  // the window and the sum behind one output pixel
    var n = this.size, d = this.digits[this.digit], r = at[0], c = at[1], sum = 0, terms = [];
    this.selected = [r, c];
    for (var i = 0; i < n; i++) {
      for (var j = 0; j < n; j++) {
        var x = d.pixels[(r + i) * 28 + c + j], k = this.kernel[i * n + j];
        sum += k * x;
        terms.push([k, x]);
      }
    }
    var value = this.state.output[r * this.state.shape[1] + c];
    overlay(this.inputCanvas, 28, 28, function (ctx, cell) {
      imageLayer(ctx, d.pixels, 28, 28, "grey", 1, cell);
      ctx.lineWidth = 2; ctx.strokeStyle = "#e69f00";
      ctx.strokeRect(c * cell + 1, r * cell + 1, n * cell - 2, n * cell - 2);
    });
    var st = this.state;
    overlay(this.outCanvas, st.shape[0], st.shape[1], function (ctx, cell) {  // the map, the pixel outlined
      imageLayer(ctx, st.output, st.shape[0], st.shape[1], "puor", st.top, cell);
      ctx.lineWidth = 2; ctx.strokeStyle = "#e69f00";
      ctx.strokeRect(c * cell + 1, r * cell + 1, cell - 2, cell - 2);
    });
    var nonzero = terms.filter(function (t) { return t[0] !== 0 && t[1] !== 0; });
    var listed = nonzero.slice(0, 6).map(function (t) { return fmt(t[0]) + " × " + fmt(t[1]); }).join(" + ");
    var more = nonzero.length > 6 ? " + … (" + (nonzero.length - 6) + " more)" : "";
    var head = "Output at row " + r + ", column " + c + " = sum over the " + n + " × " + n + " window of weight × pixel";
    this.sum.textContent = nonzero.length ? head + " = " + listed + more + " = " + fmt(sum, 3) + " (" + nonzero.length +
      " of the " + n * n + " products " + (nonzero.length === 1 ? "is" : "are") + " not zero)."
      : head + " = 0: all " + n * n + " products are zero (the window is on the black background, or the weights are 0).";
    this.outCanvas.setAttribute("aria-label", "Output map, " + this.state.shape[0] + " by " + this.state.shape[1] +
      "; selected row " + r + ", column " + c + ", value " + fmt(value, 3) + "; arrow keys move the selection");
    this.state.selected = [r, c];
    this.state.window = terms.map(function (t) { return t[1]; });
    this.state.sum = sum;
    this.state.value = value;
  };

  /* ---------- 2. padding, stride and dilation ---------- */

  function GeometryWidget(root) {
    var self = this;
    this.kind = "geometry";
    this.root = root;
    this.selected = [0, 0];
    this.state = {};
    var controls = el("div", {"class": "cw-controls"}, root);
    var change = function () { self.update(); };
    this.n = range(controls, "Input size n", 4, 12, 7, change);
    this.k = range(controls, "Kernel size k", 1, 5, 3, change);
    this.p = range(controls, "Padding p", 0, 3, 1, change);
    this.s = range(controls, "Stride s", 1, 3, 1, change);
    this.d = range(controls, "Dilation d", 1, 3, 1, change);
    this.formula = el("p", {"class": "cw-formula", "aria-live": "polite"}, root);
    var body = el("div", {"class": "cw-body"}, root);
    var inFig = el("figure", {"class": "cw-figure cw-grid"}, body);
    this.inputCanvas = el("canvas", {role: "img", "aria-label": "The padded input"}, inFig);
    el("figcaption", {}, inFig, "Input with its padding (hatched): the taps of the selected output's window");
    var outFig = el("figure", {"class": "cw-figure cw-grid"}, body);
    this.outCanvas = el("canvas", {tabindex: "0", role: "img", "class": "cw-pick", "aria-label": "The output"}, outFig);
    el("figcaption", {}, outFig, "Output: tap a cell or use the arrow keys");
    this.outCanvas.addEventListener("pointerdown", function (e) {
      if (self.state.out) { self.selected = cellAt(self.outCanvas, e, self.state.out, self.state.out); self.draw(); }
    });
    this.outCanvas.addEventListener("keydown", function (e) {
      if (self.state.out && arrowMove(e, self.selected, self.state.out, self.state.out)) self.draw();
    });
    this.update();
  }

  // options: {n, k, p, s, d, select: [row, column]}
  GeometryWidget.prototype.set = function (options) {
    var self = this;
    ["n", "k", "p", "s", "d"].forEach(function (name) { if (options[name] !== undefined) self[name].set(options[name]); });
    if (options.select) this.selected = options.select.slice();
    this.update();
  };

  GeometryWidget.prototype.update = function () {
    var n = this.n.get(), k = this.k.get(), p = this.p.get(), s = this.s.get(), d = this.d.get();
    var out = ops.convOutputSize(n, k, s, p, d);
    var span = d * (k - 1) + 1;
    var text = "output = ⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1 = ⌊(" + n + " + 2·" + p + " − " + d + "·(" + k +
      " − 1) − 1) / " + s + "⌋ + 1 = ";
    text += out ? out + ", so the output is " + out + " × " + out + " (the dilated kernel spans " + span + " pixels)."
                : Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1 + ": the dilated kernel (" + span +
                  " pixels) does not fit the padded input (" + (n + 2 * p) + " pixels).";
    this.formula.textContent = text;
    if (out) this.selected = [clamp(this.selected[0], 0, out - 1), clamp(this.selected[1], 0, out - 1)];
    this.state = {n: n, k: k, p: p, s: s, d: d, out: out, formula: text};
    this.draw();
  };

  GeometryWidget.prototype.draw = function () {
    var st = this.state, n = st.n, p = st.p, k = st.k, total = n + 2 * p;
    var cell = Math.max(16, Math.ceil(288 / total)), inset = Math.round(cell / 5);  // crisp at any size
    var r = this.selected[0], c = this.selected[1], taps = [];
    if (st.out) {
      for (var a = 0; a < k; a++) {
        for (var b = 0; b < k; b++) taps.push([r * st.s - p + a * st.d, c * st.s - p + b * st.d]);
      }
    }
    this.inputCanvas.width = total * cell; this.inputCanvas.height = total * cell;
    var ctx = this.inputCanvas.getContext("2d");
    ctx.clearRect(0, 0, total * cell, total * cell);
    for (var y = 0; y < total; y++) {
      for (var x = 0; x < total; x++) {
        var inside = y >= p && y < p + n && x >= p && x < p + n;
        ctx.fillStyle = inside ? "#ffffff" : "#e0e0e0";
        ctx.fillRect(x * cell, y * cell, cell, cell);
        if (!inside) {  // hatching: padding
          ctx.strokeStyle = "#a0a0a0"; ctx.lineWidth = Math.max(1, cell / 16); ctx.beginPath();
          ctx.moveTo(x * cell, (y + 1) * cell); ctx.lineTo((x + 1) * cell, y * cell); ctx.stroke();
        }
        ctx.strokeStyle = "#888888"; ctx.lineWidth = Math.max(1, cell / 16);
        ctx.strokeRect(x * cell + 0.5, y * cell + 0.5, cell - 1, cell - 1);
      }
    }
    ctx.fillStyle = "rgba(0, 114, 178, 0.75)";
    taps.forEach(function (t) {
      ctx.fillRect((t[1] + p) * cell + inset, (t[0] + p) * cell + inset, cell - 2 * inset, cell - 2 * inset);
    });
    var o = st.out || 1;
    cell = Math.max(16, Math.ceil(288 / o));
    this.outCanvas.width = o * cell; this.outCanvas.height = o * cell;
    var octx = this.outCanvas.getContext("2d");
    octx.clearRect(0, 0, o * cell, o * cell);
    for (y = 0; y < o; y++) {
      for (x = 0; x < o; x++) {
        octx.fillStyle = !st.out ? "#f0f0f0" : (y === r && x === c ? "#0072b2" : "#ffffff");
        octx.fillRect(x * cell, y * cell, cell, cell);
        octx.strokeStyle = "#888888"; octx.lineWidth = Math.max(1, cell / 16);
        octx.strokeRect(x * cell + 0.5, y * cell + 0.5, cell - 1, cell - 1);
      }
    }
    var inInput = taps.filter(function (t) { return t[0] >= 0 && t[0] < n && t[1] >= 0 && t[1] < n; });
    this.inputCanvas.setAttribute("aria-label", "Input of " + n + " by " + n + " with padding " + p + ": " +
      (st.out ? "the window of output (" + r + ", " + c + ") has " + taps.length + " taps, " + inInput.length +
                " on the input and " + (taps.length - inInput.length) + " on the padding" : "no window fits"));
    this.outCanvas.setAttribute("aria-label", st.out ? "Output of " + st.out + " by " + st.out + "; selected row " + r +
      ", column " + c + "; arrow keys move the selection" : "No output: the kernel does not fit");
    this.state.selected = [r, c];
    this.state.taps = taps;  // [row, column] in input coordinates (negative or >= n: padding)
  };

  /* ---------- 3. receptive fields ---------- */

  var MODEL_NOTES = {post_tensorflow: "the post's TensorFlow model (MNIST)", post_keras: "the post's Keras model (MNIST)",
                     post_pytorch: "the post's PyTorch model (CIFAR-10, 32 × 32)"};

  function FieldWidget(root, digits, models) {
    var self = this;
    this.kind = "field";
    this.root = root;
    this.digits = digits;
    this.models = models;
    this.modelNames = Object.keys(models);
    this.model = this.modelNames.indexOf("post_keras") >= 0 ? "post_keras" : this.modelNames[0];
    this.layer = -1;
    this.unit = [0, 0];
    this.state = {};
    var controls = el("div", {"class": "cw-controls"}, root);
    var modelId = nextId("cw-model"), modelBox = el("div", {"class": "cw-control"}, controls);
    el("label", {"for": modelId}, modelBox, "Model");
    this.modelSelect = el("select", {id: modelId}, modelBox);
    this.modelNames.forEach(function (name) { el("option", {value: name}, self.modelSelect, name + ": " + (MODEL_NOTES[name] || "")); });
    this.modelSelect.value = this.model;
    this.modelSelect.addEventListener("change", function () { self.set({model: self.modelSelect.value}); });
    var layerId = nextId("cw-layer"), layerBox = el("div", {"class": "cw-control"}, controls);
    el("label", {"for": layerId}, layerBox, "Layer");
    this.layerSelect = el("select", {id: layerId}, layerBox);
    this.layerSelect.addEventListener("change", function () { self.set({layer: self.layerSelect.value}); });
    var body = el("div", {"class": "cw-body"}, root);
    var inFig = el("figure", {"class": "cw-figure cw-pixels"}, body);
    this.inputCanvas = el("canvas", {role: "img", "aria-label": "The input"}, inFig);
    this.inputCaption = el("figcaption", {}, inFig, "");
    var outFig = el("figure", {"class": "cw-figure cw-pixels"}, body);
    this.outCanvas = el("canvas", {tabindex: "0", role: "img", "class": "cw-pick", "aria-label": "The layer's units"}, outFig);
    el("figcaption", {}, outFig, "The layer's units (one map): tap one or use the arrow keys");
    this.readout = el("p", {"class": "cw-readout", "aria-live": "polite"}, root);
    this.outCanvas.addEventListener("pointerdown", function (e) {
      var s = self.state.shape; self.pick(cellAt(self.outCanvas, e, s[1], s[2]));
    });
    this.outCanvas.addEventListener("keydown", function (e) {
      var at = self.unit.slice(), s = self.state.shape;
      if (arrowMove(e, at, s[1], s[2])) self.pick(at);
    });
    this.set({model: this.model});
  }

  // options: {model, layer (name), unit: [row, column]}
  FieldWidget.prototype.set = function (options) {
    var self = this;
    if (options.model && options.model !== this.state.model) {
      this.model = options.model; this.modelSelect.value = options.model;
      var geo = this.models[this.model];
      this.fields = ops.receptiveFields(geo.layers, 0);
      this.fieldsW = ops.receptiveFields(geo.layers, 1);
      this.layerSelect.textContent = "";
      geo.layers.forEach(function (layer, i) {
        el("option", {value: layer.name}, self.layerSelect, layer.name + " (" + layer.kind + ", " + layer.shape.slice(1).join(" × ") + ")");
      });
      this.layer = geo.layers.length - 1;
      this.layerSelect.value = geo.layers[this.layer].name;
      this.state.model = this.model;
      this.unit = null;
    }
    if (options.layer !== undefined) {
      var names = this.models[this.model].layers.map(function (l) { return l.name; });
      if (names.indexOf(options.layer) < 0) throw new Error("no layer " + options.layer + " in " + this.model);
      this.layer = names.indexOf(options.layer); this.layerSelect.value = options.layer;
      if (!options.unit) this.unit = null;
    }
    var shape = this.models[this.model].layers[this.layer].shape;
    if (options.unit) this.unit = options.unit.slice();
    if (!this.unit) this.unit = [Math.floor(shape[1] / 2), Math.floor(shape[2] / 2)];
    this.state.shape = shape;
    this.pick(this.unit);
  };

  FieldWidget.prototype.update = function () { this.pick(this.unit); };

  FieldWidget.prototype.pick = function (at) {
    var geo = this.models[this.model], layer = geo.layers[this.layer], shape = layer.shape;
    var r = clamp(at[0], 0, shape[1] - 1), c = clamp(at[1], 0, shape[2] - 1);
    this.unit = [r, c];
    var fh = this.fields[this.layer], fw = this.fieldsW[this.layer];
    var cy = fh.start + r * fh.jump, cx = fw.start + c * fw.jump;
    var box = [cy - (fh.size - 1) / 2, cy + (fh.size - 1) / 2, cx - (fw.size - 1) / 2, cx + (fw.size - 1) / 2];
    var H = geo.input_shape[1], W = geo.input_shape[2];
    var digit = H === 28 && W === 28 ? this.digits[0] : null;
    this.inputCaption.textContent = digit ? "Input: MNIST test image #" + digit.index + " (28 × 28)"
                                          : "Input: a " + H + " × " + W + " image (the grid only)";
    overlay(this.inputCanvas, H, W, function (ctx, cell) {
      if (digit) imageLayer(ctx, digit.pixels, H, W, "grey", 1, cell);
      else {
        ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, W * cell, H * cell);
        ctx.strokeStyle = "#dddddd";
        for (var i = 0; i <= H; i++) { ctx.beginPath(); ctx.moveTo(0, i * cell); ctx.lineTo(W * cell, i * cell); ctx.stroke(); }
        for (var j = 0; j <= W; j++) { ctx.beginPath(); ctx.moveTo(j * cell, 0); ctx.lineTo(j * cell, H * cell); ctx.stroke(); }
      }
      ctx.fillStyle = "rgba(230, 159, 0, 0.35)"; ctx.strokeStyle = "#e69f00"; ctx.lineWidth = 2;
      ctx.fillRect(box[2] * cell, box[0] * cell, fw.size * cell, fh.size * cell);
      ctx.strokeRect(box[2] * cell + 1, box[0] * cell + 1, fw.size * cell - 2, fh.size * cell - 2);
    });
    overlay(this.outCanvas, shape[1], shape[2], function (ctx, cell) {
      ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, shape[2] * cell, shape[1] * cell);
      ctx.strokeStyle = "#dddddd";
      for (var i = 0; i <= shape[1]; i++) { ctx.beginPath(); ctx.moveTo(0, i * cell); ctx.lineTo(shape[2] * cell, i * cell); ctx.stroke(); }
      for (var j = 0; j <= shape[2]; j++) { ctx.beginPath(); ctx.moveTo(j * cell, 0); ctx.lineTo(j * cell, shape[1] * cell); ctx.stroke(); }
      ctx.fillStyle = "#e69f00"; ctx.fillRect(c * cell, r * cell, cell, cell);
    });
    var text = layer.name + " unit (row " + r + ", column " + c + ") of " + this.model + " sees input rows " +
      box[0] + " to " + box[1] + " and columns " + box[2] + " to " + box[3] + ": a field of " + fh.size + " × " +
      fw.size + " pixels; neighbouring units are " + fh.jump + " pixel" + (fh.jump > 1 ? "s" : "") + " apart on the input.";
    this.readout.textContent = text;
    this.outCanvas.setAttribute("aria-label", layer.name + ": " + shape[1] + " by " + shape[2] + " units; selected row " + r +
      ", column " + c + "; arrow keys move the selection");
    this.inputCanvas.setAttribute("aria-label", "Input with the receptive field of the selected unit: rows " + box[0] +
      " to " + box[1] + ", columns " + box[2] + " to " + box[3]);
    this.state = {model: this.model, layer: layer.name, shape: shape, unit: [r, c], box: box,
                  size: [fh.size, fw.size], jump: [fh.jump, fw.jump], fields: this.fields, fieldsW: this.fieldsW, text: text};
  };

  /* ---------- 4. pooling and shifts ---------- */

  var SOBEL = [-1, 0, 1, -2, 0, 2, -1, 0, 1];
  var EDGES = {shape: [2, 1, 3, 3], data: Float64Array.from(SOBEL.concat([-1, -2, -1, 0, 0, 0, 1, 2, 1]))};
  var POOLINGS = [
    ["no pooling", function (m) { return m; }],
    ["average 2×2", function (m) { return ops.avgPool2d(m, 2, 2); }],
    ["max 2×2", function (m) { return ops.maxPool2d(m, 2, 2); }],
    ["max 2×2, twice", function (m) { return ops.maxPool2d(ops.maxPool2d(m, 2, 2), 2, 2); }]
  ];

  // the pooling chapter's measure: among the positions where either map exceeds 0.05, the share
  // whose values differ by more than 1e-6; and the relative change ||a - b|| / ||a||
  function compare(a, b) {
    var active = 0, changed = 0, diff = 0, norm = 0;
    for (var i = 0; i < a.length; i++) {
      var gap = a[i] - b[i];
      diff += gap * gap; norm += a[i] * a[i];
      if (a[i] > 0.05 || b[i] > 0.05) { active += 1; if (Math.abs(gap) > 1e-6) changed += 1; }
    }
    return {changed: active ? changed / active : 0, relative: Math.sqrt(diff) / Math.sqrt(norm)};
  }

  function ShiftWidget(root, digits) {
    var self = this;
    this.kind = "shift";
    this.root = root;
    this.digits = digits;
    this.digit = 0;
    this.state = {};
    var controls = el("div", {"class": "cw-controls"}, root);
    this.digitSelect = digitPicker(controls, digits, function (i) { self.digit = i; self.update(); });
    var change = function () { self.update(); };
    this.dx = range(controls, "Shift right (pixels)", -4, 4, 1, change);
    this.dy = range(controls, "Shift down (pixels)", -4, 4, 0, change);
    var body = el("div", {"class": "cw-body"}, root);
    var inFig = el("figure", {"class": "cw-figure cw-pixels cw-small"}, body);
    this.inputCanvas = el("canvas", {tabindex: "0", role: "img", "class": "cw-drag",
      "aria-label": "The shifted digit: drag it, or use the arrow keys"}, inFig);
    el("figcaption", {}, inFig, "The digit, moved (np.roll): drag it or use the arrow keys");
    this.canvases = {};
    var names = [["edges", "Edge map (Sobel x, ReLU), 26 × 26"], ["avg", "Average pooled 2 × 2, 13 × 13"],
                 ["max", "Max pooled 2 × 2, 13 × 13"]];
    names.forEach(function (pair) {
      var fig = el("figure", {"class": "cw-figure cw-pixels cw-small"}, body);
      self.canvases[pair[0]] = el("canvas", {role: "img", "aria-label": pair[1]}, fig);
      el("figcaption", {}, fig, pair[1] + "; orange corner: changed by the shift");
    });
    this.bar = colourBar(root, "cividis");
    var tableBox = el("div", {"class": "cw-table-box"}, root);
    this.table = el("table", {"class": "cw-table"}, tableBox);
    el("caption", {}, this.table, "What the shift changed, on both edge maps (Sobel x and y) of this digit");
    var head = el("tr", {}, el("thead", {}, this.table));
    ["", "active values changed", "relative change"].forEach(function (t) { el("th", {scope: "col"}, head, t); });
    var tbody = el("tbody", {}, this.table);
    this.cells = POOLINGS.map(function (p) {
      var row = el("tr", {}, tbody);
      el("th", {scope: "row"}, row, p[0]);
      return [el("td", {}, row), el("td", {}, row)];
    });
    this.inputCanvas.addEventListener("keydown", function (e) {
      var at = [self.dy.get() + 4, self.dx.get() + 4];  // shifts -4..4 as cells 0..8
      if (arrowMove(e, at, 9, 9)) self.set({dy: at[0] - 4, dx: at[1] - 4});
    });
    var drag = null;
    this.inputCanvas.addEventListener("pointerdown", function (e) {
      drag = {x: e.clientX, y: e.clientY, dx: self.dx.get(), dy: self.dy.get()};
      self.inputCanvas.setPointerCapture(e.pointerId);
    });
    this.inputCanvas.addEventListener("pointermove", function (e) {
      if (!drag) return;
      var pixel = self.inputCanvas.getBoundingClientRect().width / 28;
      var dx = clamp(drag.dx + Math.round((e.clientX - drag.x) / pixel), -4, 4);
      var dy = clamp(drag.dy + Math.round((e.clientY - drag.y) / pixel), -4, 4);
      if (dx !== self.dx.get() || dy !== self.dy.get()) self.set({dx: dx, dy: dy});
    });
    ["pointerup", "pointercancel"].forEach(function (type) {
      self.inputCanvas.addEventListener(type, function () { drag = null; });
    });
    this.update();
  }

  // options: {digit, dx, dy}: shifts in whole pixels, -4 to 4
  ShiftWidget.prototype.set = function (options) {
    if (options.digit !== undefined) { this.digit = options.digit; this.digitSelect.value = String(options.digit); }
    if (options.dx !== undefined) this.dx.set(options.dx);
    if (options.dy !== undefined) this.dy.set(options.dy);
    this.update();
  };

  ShiftWidget.prototype.update = function () {
    var self = this, d = this.digits[this.digit], dx = this.dx.get(), dy = this.dy.get();
    var x = tensor(d.pixels, 28, 28), moved = ops.roll(x, dy, dx);
    var before = ops.relu(ops.conv2d(x, EDGES, null, 1, 0, 1));  // (2, 26, 26)
    var after = ops.relu(ops.conv2d(moved, EDGES, null, 1, 0, 1));
    var results = POOLINGS.map(function (p) { return compare(p[1](before).data, p[1](after).data); });
    results.forEach(function (res, i) {
      self.cells[i][0].textContent = Math.round(100 * res.changed) + " %";
      self.cells[i][1].textContent = res.relative.toFixed(2);
    });
    overlay(this.inputCanvas, 28, 28, function (ctx, cell) { imageLayer(ctx, moved.data, 28, 28, "grey", 1, cell); });
    var top = ops.largest(after.data.subarray(0, 26 * 26));
    var shown = {edges: [after, before, 26], avg: [ops.avgPool2d(after, 2, 2), ops.avgPool2d(before, 2, 2), 13],
                 max: [ops.maxPool2d(after, 2, 2), ops.maxPool2d(before, 2, 2), 13]};
    Object.keys(shown).forEach(function (name) {
      var now = shown[name][0], then = shown[name][1], side = shown[name][2], plane = side * side;
      overlay(self.canvases[name], side, side, function (ctx, cell) {
        imageLayer(ctx, now.data.subarray(0, plane), side, side, "cividis", top, cell);
        ctx.fillStyle = "#d55e00";
        var dot = Math.max(2, Math.round(cell / 3));
        for (var i = 0; i < plane; i++) {  // the chapter's "changed": active in either, apart by > 1e-6
          var a = then.data[i], b = now.data[i];
          if ((a > 0.05 || b > 0.05) && Math.abs(a - b) > 1e-6) {
            ctx.fillRect((i % side) * cell, Math.floor(i / side) * cell, dot, dot);
          }
        }
      });
    });
    this.bar.set("0", fmt(top) + " (Sobel x map after the shift)");
    this.inputCanvas.setAttribute("aria-label", "Test digit #" + d.index + " moved " + dx + " right and " + dy +
      " down; drag it or use the arrow keys");
    this.state = {digit: d.index, label: d.label, dx: dx, dy: dy,
                  changed: results.map(function (r) { return r.changed; }),
                  relative: results.map(function (r) { return r.relative; }),
                  poolings: POOLINGS.map(function (p) { return p[0]; })};
  };

  /* ---------- start ---------- */

  api.kinds = {conv: ConvWidget, geometry: GeometryWidget, field: FieldWidget, shift: ShiftWidget};
  api.compare = compare;

  function start() {
    var doc = data(), digits = doc ? doc.digits.map(decodeDigit) : [];
    document.querySelectorAll(".cnnbook-widget").forEach(function (root) {
      var kind = root.getAttribute("data-widget"), Kind = api.kinds[kind];
      if (!Kind) { root.textContent = "Unknown live figure: " + kind; return; }
      if (!ops || (kind !== "geometry" && !doc)) {
        root.textContent = "This live figure's data did not load (_static/models/cnnbook_widget_data.js): " +
          "build the book with `make book`.";
        return;
      }
      root.classList.add("cnnbook-widget-ready");
      root.textContent = "";
      var widget = kind === "field" ? new Kind(root, digits, doc.models) : new Kind(root, digits);
      api.list.push(widget);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
