/*
 * cnnbook_ops.js: the book's operations in plain JavaScript, shared by every page that computes
 * in the reader's browser ("draw a digit" and the concept pages' live figures).
 *
 * Each function mirrors one of the Python package and is tested against it in Chromium
 * (tests/test_browser_ops.py, max |difference| <= 1e-5):
 *   convOutputSize   cnnbook.ops.conv_output_size (numeric padding)
 *   conv2d           cnnbook.ops.conv2d (cross-correlation, stride, zero padding, dilation)
 *   relu             cnnbook.ops.relu
 *   maxPool2d        cnnbook.ops.max_pool2d (no padding; windows that do not fit are dropped)
 *   avgPool2d        cnnbook.ops.avg_pool2d (no padding)
 *   dense, softmax   torch.nn.Linear, cnnbook.ops.softmax
 *   roll             numpy.roll over the last two axes
 *   receptiveFields  cnnbook.models.shapes.receptive_field (size, jump, start per layer)
 *
 * A tensor is one image in NCHW without the N: {shape: [C, H, W], data: Float64Array}, row-major.
 * Pairs (stride, padding, dilation, kernel) are [along H, along W]. No framework, no network.
 *
 * window.cnnbookPage holds what the pages share for display: el (make an element), the book's
 * colour maps (cividis, PuOr, grey) as lookup tables and CSS ramps, and paint (values into a canvas).
 */
(function () {
  "use strict";

  function pair(v) { return Array.isArray(v) ? [v[0], v[1]] : [v, v]; }

  // floor((size + 2p - d(k - 1) - 1) / s) + 1, or 0 when the (dilated) kernel does not fit
  function convOutputSize(size, kernel, stride, padding, dilation) {
    stride = stride || 1; padding = padding || 0; dilation = dilation || 1;
    var out = Math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
    return out >= 1 ? out : 0;
  }

  function conv2d(x, weight, bias, stride, padding, dilation) {
    // weight: {shape: [O, C, KH, KW]} (OIHW); output (O, OH, OW), cross-correlation as in torch
    var s = pair(stride || 1), p = pair(padding || 0), d = pair(dilation || 1);
    var C = x.shape[0], H = x.shape[1], W = x.shape[2];
    var O = weight.shape[0], KH = weight.shape[2], KW = weight.shape[3];
    var OH = convOutputSize(H, KH, s[0], p[0], d[0]), OW = convOutputSize(W, KW, s[1], p[1], d[1]);
    if (!OH || !OW) throw new Error("conv2d: kernel " + KH + "x" + KW + " does not fit " + H + "x" + W);
    var out = new Float64Array(O * OH * OW), w = weight.data;
    for (var o = 0; o < O; o++) {
      for (var i = 0; i < OH; i++) {
        for (var j = 0; j < OW; j++) {
          var sum = bias ? bias.data[o] : 0;
          for (var c = 0; c < C; c++) {
            for (var ki = 0; ki < KH; ki++) {
              var y = i * s[0] - p[0] + ki * d[0];
              if (y < 0 || y >= H) continue;  // zero padding
              for (var kj = 0; kj < KW; kj++) {
                var xx = j * s[1] - p[1] + kj * d[1];
                if (xx < 0 || xx >= W) continue;
                sum += w[((o * C + c) * KH + ki) * KW + kj] * x.data[(c * H + y) * W + xx];
              }
            }
          }
          out[(o * OH + i) * OW + j] = sum;
        }
      }
    }
    return {shape: [O, OH, OW], data: out};
  }

  function relu(x) {
    var out = new Float64Array(x.data.length);
    for (var i = 0; i < out.length; i++) out[i] = x.data[i] > 0 ? x.data[i] : 0;
    return {shape: x.shape.slice(), data: out};
  }

  function pool2d(x, kernel, stride, reduce) {
    var k = pair(kernel), s = pair(stride || kernel);
    var C = x.shape[0], H = x.shape[1], W = x.shape[2];
    var OH = Math.floor((H - k[0]) / s[0]) + 1, OW = Math.floor((W - k[1]) / s[1]) + 1;
    if (OH < 1 || OW < 1) throw new Error("pooling: window " + k + " does not fit " + H + "x" + W);
    var out = new Float64Array(C * OH * OW);
    for (var c = 0; c < C; c++) {
      for (var i = 0; i < OH; i++) {
        for (var j = 0; j < OW; j++) {
          var best = -Infinity, total = 0;
          for (var ki = 0; ki < k[0]; ki++) {
            for (var kj = 0; kj < k[1]; kj++) {
              var v = x.data[(c * H + i * s[0] + ki) * W + j * s[1] + kj];
              if (v > best) best = v;
              total += v;
            }
          }
          out[(c * OH + i) * OW + j] = reduce === "max" ? best : total / (k[0] * k[1]);
        }
      }
    }
    return {shape: [C, OH, OW], data: out};
  }

  function maxPool2d(x, kernel, stride) { return pool2d(x, kernel, stride, "max"); }
  function avgPool2d(x, kernel, stride) { return pool2d(x, kernel, stride, "avg"); }

  function dense(x, weight, bias) {
    // weight (out, in) as torch's nn.Linear; x flattened in (C, H, W) order
    var n = weight.shape[0], m = weight.shape[1], out = new Float64Array(n);
    for (var o = 0; o < n; o++) {
      var sum = bias ? bias.data[o] : 0;
      for (var k = 0; k < m; k++) sum += weight.data[o * m + k] * x.data[k];
      out[o] = sum;
    }
    return {shape: [n], data: out};
  }

  function largest(data) {
    var top = -Infinity;
    for (var i = 0; i < data.length; i++) if (data[i] > top) top = data[i];
    return top;
  }

  function softmax(x) {
    var top = largest(x.data), out = new Float64Array(x.data.length);
    var total = 0;
    for (var i = 0; i < out.length; i++) { out[i] = Math.exp(x.data[i] - top); total += out[i]; }
    for (var k = 0; k < out.length; k++) out[k] /= total;
    return {shape: x.shape.slice(), data: out};
  }

  function roll(x, dy, dx) {  // numpy.roll(x, (dy, dx), axis=(-2, -1)): what leaves one edge enters the other
    var C = x.shape[0], H = x.shape[1], W = x.shape[2], out = new Float64Array(x.data.length);
    for (var c = 0; c < C; c++) {
      for (var i = 0; i < H; i++) {
        var si = ((i - dy) % H + H) % H;
        for (var j = 0; j < W; j++) {
          var sj = ((j - dx) % W + W) % W;
          out[(c * H + i) * W + j] = x.data[(c * H + si) * W + sj];
        }
      }
    }
    return {shape: x.shape.slice(), data: out};
  }

  // layers: [{name, kind, kernel, stride, padding, dilation}], kind "conv2d", "max_pool2d",
  // "avg_pool2d" or any other (kept unchanged: activations, dropout, batch norm). Returns, for
  // `axis` (0 = H, 1 = W), [{name, size, jump, start}] after each layer: the field's size in
  // input pixels, the input pixels between neighbouring outputs, and the input coordinate of the
  // centre of output 0's field. Unit i's field covers start + i * jump +- (size - 1) / 2.
  function receptiveFields(layers, axis) {
    axis = axis || 0;
    var size = 1, jump = 1, start = 0, out = [];
    layers.forEach(function (layer) {
      if (layer.kernel) {
        var k = pair(layer.kernel)[axis], s = pair(layer.stride || layer.kernel)[axis];
        var p = pair(layer.padding || 0)[axis], d = pair(layer.dilation || 1)[axis];
        start += ((k - 1) * d / 2 - p) * jump;
        size += (k - 1) * d * jump;
        jump *= s;
      }
      out.push({name: layer.name, size: size, jump: jump, start: start});
    });
    return out;
  }


  /* ---------- page helpers shared by the pages that compute in the browser (no arithmetic) ---------- */

  function el(tag, attrs, parent, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function hexes(list) {
    return list.map(function (h) { return [1, 3, 5].map(function (i) { return parseInt(h.substr(i, 2), 16); }); });
  }
  // the book's colour maps (cnnbook.plots.style, sampled from matplotlib): cividis for
  // non-negative values, PuOr for signed values with white at 0 (negative orange, positive purple)
  var CIVIDIS = hexes(["#00224e", "#1a386f", "#434e6c", "#61656f", "#7d7c78", "#9b9476", "#bcae6c", "#dec958", "#fee838"]);
  var PUOR = hexes(["#7f3b08", "#b25706", "#e08214", "#fcb761", "#fee0b6", "#f6f6f7", "#d8daeb", "#b1aad1", "#8073ac", "#532687", "#2d004b"]);

  function lut(stops) {
    var table = new Uint8ClampedArray(3 * 256);
    for (var level = 0; level < 256; level++) {
      var pos = level / 255 * (stops.length - 1), lo = Math.min(Math.floor(pos), stops.length - 2), f = pos - lo;
      for (var c = 0; c < 3; c++) table[3 * level + c] = Math.round(stops[lo][c] * (1 - f) + stops[lo + 1][c] * f);
    }
    return table;
  }
  var MAPS = {cividis: lut(CIVIDIS), puor: lut(PUOR), grey: lut([[0, 0, 0], [255, 255, 255]])};
  var RAMPS = {  // the same maps as CSS gradients, for colour bars
    cividis: "linear-gradient(to right, #00224e, #434e6c, #7d7c78, #bcae6c, #fee838)",
    puor: "linear-gradient(to right, #7f3b08, #e08214, #fee0b6, #f7f7f7, #d8daeb, #8073ac, #2d004b)"
  };

  // values into a canvas of h x w pixels: cividis/grey over [0, top], puor over [-top, top]
  function paint(canvas, data, h, w, map, top) {
    if (canvas.width !== w) canvas.width = w;
    if (canvas.height !== h) canvas.height = h;
    var ctx = canvas.getContext("2d"), img = ctx.createImageData(w, h), table = MAPS[map];
    for (var i = 0; i < h * w; i++) {
      var v = top > 0 ? data[i] / top : 0;
      var level = map === "puor" ? Math.round(127.5 * (Math.min(Math.max(v, -1), 1) + 1))
                                 : Math.round(255 * Math.min(Math.max(v, 0), 1));
      img.data[4 * i] = table[3 * level]; img.data[4 * i + 1] = table[3 * level + 1];
      img.data[4 * i + 2] = table[3 * level + 2]; img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  window.cnnbookPage = {el: el, paint: paint, luts: MAPS, ramps: RAMPS};

  window.cnnbookOps = {
    pair: pair, convOutputSize: convOutputSize, conv2d: conv2d, relu: relu, maxPool2d: maxPool2d,
    avgPool2d: avgPool2d, dense: dense, largest: largest, softmax: softmax, roll: roll,
    receptiveFields: receptiveFields
  };
})();
