/* SVG drawings: the tree diagram (from the server's layered layout), the forecast fan and the
   attribution bars. Each function takes data and a container and draws; none fetches. */
"use strict";
window.KT = window.KT || {};

(function (KT) {
  const SVG = "http://www.w3.org/2000/svg";
  const BOW_MAX = 60;  // how far a curved back edge may bow sideways, in layout points

  function el(name, attrs, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (parent) parent.appendChild(node);
    return node;
  }

  function text(parent, x, y, content, attrs) {
    const node = el("text", Object.assign({ x, y }, attrs || {}), parent);
    node.textContent = content;
    return node;
  }

  /* Make a text element fit a width (SVG text neither wraps nor clips): squeeze it a little,
     and past that cut it with an ellipsis (the full text stays in the tooltip). */
  function fit(node, width, squeezeOnly) {
    const full = node.textContent;
    let length = 0;
    try {
      length = node.getComputedTextLength();
    } catch (_error) {
      return;
    }
    if (!(length > width) || length <= 0) return;
    if (squeezeOnly || length <= width * 1.15) {
      node.setAttribute("textLength", String(width));
      node.setAttribute("lengthAdjust", "spacingAndGlyphs");
      return;
    }
    let keep = Math.max(1, Math.floor(full.length * width / length) - 1);
    node.textContent = full.slice(0, keep).trimEnd() + "…";
    while (keep > 1 && node.getComputedTextLength() > width) {
      keep -= 1;
      node.textContent = full.slice(0, keep).trimEnd() + "…";
    }
  }

  /* A label broken into at most ``most`` lines of ``width``, the last cut with an ellipsis. */
  function wrap(parent, content, width, most, size) {
    const words = content.split(/\s+/).filter(Boolean);
    const lines = [];
    let line = text(parent, 0, 0, "", {
      class: "box-label", "font-size": size.toFixed(2), "text-anchor": "middle",
    });
    lines.push(line);
    for (let i = 0; i < words.length; i++) {
      const before = line.textContent;
      line.textContent = before ? before + " " + words[i] : words[i];
      if (before && line.getComputedTextLength() > width) {
        line.textContent = before;
        if (lines.length === most) {
          line.textContent = before + " " + words.slice(i).join(" ");
          break;
        }
        line = text(parent, 0, 0, words[i], {
          class: "box-label", "font-size": size.toFixed(2), "text-anchor": "middle",
        });
        lines.push(line);
      }
    }
    for (const each of lines) {
      each.setAttribute("x", parent.querySelector("rect") ?
        String(Number(parent.querySelector("rect").getAttribute("x")) +
          Number(parent.querySelector("rect").getAttribute("width")) / 2) : "0");
      fit(each, width);
    }
    return lines;
  }

  function statusClass(status) {
    if (!status || status === "-") return "status-none";
    return "status-" + status.replace(/\s+/g, "-");
  }

  /* The tree diagram. layout: {width, height, boxes, edges} with y up and origin bottom left,
     as kpitree.plots.layout gives it; returns {update(values, status, owner)}. */
  function diagram(container, tree) {
    container.textContent = "";
    const layout = tree.layout;
    const margin = 12;
    // The drawing's extent: the boxes and the edges' points (a layout may keep blank room at
    // its sides), plus the sideways bow of the curved back edges.
    let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    for (const box of Object.values(layout.boxes)) {
      minX = Math.min(minX, box.x - box.width / 2);
      maxX = Math.max(maxX, box.x + box.width / 2);
      minY = Math.min(minY, box.y - box.height / 2);
      maxY = Math.max(maxY, box.y + box.height / 2);
    }
    for (const edge of layout.edges) {
      for (const [x, y] of edge.points) {
        minX = Math.min(minX, x);
        maxX = Math.max(maxX, x + (edge.layered ? 0 : BOW_MAX));
        minY = Math.min(minY, y);
        maxY = Math.max(maxY, y);
      }
    }
    const width = maxX - minX + 2 * margin;
    const height = maxY - minY + 2 * margin;
    const svg = el("svg", {
      viewBox: `${minX - margin} ${layout.height - maxY - margin} ${width} ${height}`,
      class: "diagram",
      role: "img",
      "aria-label": `KPI tree ${tree.tree}`,
    }, container);
    // Between 1.2 and 2 times its measured size (in points, its text 8 pt): readable across
    // a room (a wider tree scrolls sideways) and a small tree not blown up.
    svg.style.minWidth = `${1.2 * width}px`;
    svg.style.maxWidth = `${2 * width}px`;
    svg.style.margin = "0 auto";
    const flip = (y) => layout.height - y;
    const defs = el("defs", {}, svg);
    const marker = el("marker", {
      id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5",
      markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse",
    }, defs);
    el("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow-head" }, marker);

    const edgeLayer = el("g", { class: "edges" }, svg);
    const edges = [];
    const lags = new Map((tree.edges || []).map((e) => [e.source + "\u0000" + e.target, e.lag]));
    for (const edge of layout.edges) {
      const lag = edge.lag !== undefined ? edge.lag : lags.get(edge.source + "\u0000" + edge.target);
      const points = edge.points.map(([x, y]) => [x, flip(y)]);
      let path;
      if (edge.layered || points.length !== 2) {
        path = "M" + points.map((p) => p.join(",")).join(" L");
      } else {
        // A back edge (a read of an earlier period, or out of the KGI): a curve bowing
        // sideways so it does not run through the boxes between its ends.
        const [[x1, y1], [x2, y2]] = points;
        const bow = Math.min(BOW_MAX, Math.max(30, Math.abs(y2 - y1) * 0.35));
        path = `M${x1},${y1} C${x1 + bow},${y1} ${x2 + bow},${y2} ${x2},${y2}`;
      }
      const lagged = (lag || 0) > 0;
      const node = el("path", {
        d: path,
        class: "edge" + (lagged ? " lag" : ""),
        "marker-end": "url(#arrow)",
        "data-source": edge.source,
        "data-target": edge.target,
      }, edgeLayer);
      edges.push(node);
    }

    const nodes = Object.fromEntries(tree.nodes.map((node) => [node.name, node]));
    const boxLayer = el("g", { class: "boxes" }, svg);
    const boxes = {};
    // The server measured each box for kpitree plot's lines at 8 pt (label, value, owner):
    // the same font size fills them alike here.
    const heights = Object.values(layout.boxes).map((box) => box.height);
    const size = Math.min(8, Math.min(...heights) / 3.8);
    const lineHeight = 1.3 * size;
    for (const [name, box] of Object.entries(layout.boxes)) {
      const node = nodes[name] || { name, label: name, unit: null, owner: null };
      const group = el("g", {
        class: "box" + (name === tree.kgi ? " kgi" : "") +
          (node.kind === "input" ? " input" : " derived"),
        "data-node": name,
        "data-owner": node.owner || "",
      }, boxLayer);
      const left = box.x - box.width / 2;
      const top = flip(box.y + box.height / 2);
      el("rect", { x: left, y: top, width: box.width, height: box.height, rx: 3 }, group);
      const inner = box.width - 1.2 * size;
      const capacity = Math.max(2, Math.floor((box.height - 1.2 * size) / lineHeight + 0.01));
      const label = wrap(group, node.label || name, inner, Math.min(3, capacity - 1), size);
      const lines = [...label];
      // The value is what the room reads: larger than the label, its unit in the tooltip.
      const value = text(group, box.x, 0, "", {
        class: "box-value", "font-size": (size * 1.3).toFixed(2), "text-anchor": "middle",
      });
      lines.push(value);
      if (node.owner && lines.length < capacity) {
        const owner = text(group, box.x, 0, node.owner, {
          class: "box-owner", "font-size": (size * 0.9).toFixed(2), "text-anchor": "middle",
        });
        fit(owner, inner);
        lines.push(owner);
      }
      // The larger value line gets the room the box keeps for the target and alert lines
      // this page does not draw; without such room it falls back to the label's size.
      let valueHeight = 1.35 * lineHeight;
      if (lines.length * lineHeight + (valueHeight - lineHeight) > box.height - 1.2 * size) {
        value.setAttribute("font-size", size.toFixed(2));
        valueHeight = lineHeight;
      }
      const heights = lines.map((line) => (line === value ? valueHeight : lineHeight));
      let y = top + (box.height - heights.reduce((a, b) => a + b, 0)) / 2;
      lines.forEach((line, i) => {
        y += heights[i];
        line.setAttribute("y", (y - 0.25 * heights[i]).toFixed(2));
      });
      const title = el("title", {}, group);
      title.textContent = `${node.label || name} (${name})` +
        (node.owner ? ` · ${node.owner}` : "") + (node.unit ? ` · ${node.unit}` : "") +
        (node.formula ? `\n= ${node.formula}` : "");
      boxes[name] = { group, value, width: inner };
    }

    function update(values, status, owner) {
      for (const [name, box] of Object.entries(boxes)) {
        const node = nodes[name] || {};
        const series = values ? values[name] : null;
        const last = Array.isArray(series) ? series[series.length - 1] : series;
        box.value.textContent = series === null || series === undefined
          ? "" : KT.format.number(last, node.unit);
        box.value.removeAttribute("textLength");
        fit(box.value, box.width, true);
        const state = status ? status[name] : null;
        box.group.setAttribute("class", box.group.getAttribute("class")
          .replace(/\s*status-[\w-]+/g, "").replace(/\s*dimmed/g, "") + " " + statusClass(state) +
          (owner && node.owner !== owner ? " dimmed" : ""));
        box.group.setAttribute("data-status", state || "");
      }
      for (const edge of edges) {
        const source = nodes[edge.getAttribute("data-source")] || {};
        const target = nodes[edge.getAttribute("data-target")] || {};
        const mine = !owner || source.owner === owner || target.owner === owner;
        edge.classList.toggle("dimmed", !mine);
      }
    }
    return { update, svg };
  }

  function niceTicks(low, high, count) {
    const span = high - low || Math.abs(high) || 1;
    const raw = span / count;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => span / s <= count) ||
      10 * power;
    const ticks = [];
    for (let t = Math.ceil(low / step) * step; t <= high + step * 1e-9; t += step) ticks.push(t);
    return ticks;
  }

  /* The forecast fan: p05-p95 and p25-p75 bands, the median line, the target line. */
  function fan(container, fanData, unit, target) {
    container.textContent = "";
    const width = 460, height = 280;
    const m = { left: 58, right: 12, top: 12, bottom: 50 };
    const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart fan" }, container);
    // A static tree (or a single period) has one value per quantile: drawn as a level band.
    const series = (v) => (Array.isArray(v) ? v : [v]);
    const single = series(fanData.p50).length === 1;
    const data = Object.fromEntries(["p05", "p25", "p50", "p75", "p95"].map((k) => {
      const values = series(fanData[k]);
      return [k, single ? [values[0], values[0]] : values];
    }));
    const periods = single ? ["", series(fanData.periods || [""])[0] || ""]
      : series(fanData.periods);
    const all = [...data.p05, ...data.p95];
    if (target !== null && target !== undefined) all.push(target);
    let low = Math.min(...all), high = Math.max(...all);
    const pad = (high - low) * 0.06 || Math.abs(high) * 0.05 || 1;
    low -= pad; high += pad;
    const x = (i) => m.left + (periods.length === 1 ? 0.5 : i / (periods.length - 1)) *
      (width - m.left - m.right);
    const y = (v) => m.top + (1 - (v - low) / (high - low)) * (height - m.top - m.bottom);
    const axis = el("g", { class: "axis" }, svg);
    for (const tick of niceTicks(low, high, 5)) {
      el("line", { x1: m.left, x2: width - m.right, y1: y(tick), y2: y(tick), class: "grid" }, axis);
      text(axis, m.left - 6, y(tick) + 4, KT.format.short(tick, unit), { "text-anchor": "end" });
    }
    const every = Math.max(1, Math.ceil(periods.length / 5));
    periods.forEach((label, i) => {
      const lastOne = i === periods.length - 1;
      // The last period is always labelled; a regular tick too close to it is dropped.
      if ((i % every === 0 && periods.length - 1 - i >= every * 0.75) || lastOne) {
        text(axis, x(i), height - m.bottom + 18, label, {
          "text-anchor": lastOne ? "end" : i === 0 ? "start" : "middle",
        });
      }
    });
    const band = (lower, upper, cls) => {
      const top = upper.map((v, i) => `${x(i)},${y(v)}`);
      const bottom = lower.map((v, i) => `${x(i)},${y(v)}`).reverse();
      el("polygon", { points: [...top, ...bottom].join(" "), class: cls }, svg);
    };
    band(data.p05, data.p95, "band outer");
    band(data.p25, data.p75, "band inner");
    el("polyline", {
      points: data.p50.map((v, i) => `${x(i)},${y(v)}`).join(" "), class: "median",
    }, svg);
    if (target !== null && target !== undefined) {
      el("line", {
        x1: m.left, x2: width - m.right, y1: y(target), y2: y(target), class: "target-line",
      }, svg);
      text(svg, width - m.right - 4, y(target) - 5, "target " + KT.format.short(target, unit), {
        "text-anchor": "end", class: "target-label",
      });
    }
    // The legend sits under the axis, where no band or target line can run through it.
    const legend = el("g", {
      class: "legend", transform: `translate(${m.left},${height - 16})`,
    }, svg);
    [["band outer", "5-95 %"], ["band inner", "25-75 %"], ["median", "median"]].forEach(
      ([cls, label], i) => {
        const gx = i * 80;
        if (cls === "median") {
          el("line", { x1: gx, x2: gx + 18, y1: 6, y2: 6, class: "median" }, legend);
        } else {
          el("rect", { x: gx, y: 0, width: 18, height: 12, class: cls }, legend);
        }
        text(legend, gx + 24, 10, label);
      });
    return svg;
  }

  /* Horizontal bars of signed contributions, largest magnitude first. */
  function bars(container, items, unit) {
    container.textContent = "";
    if (!items.length) {
      container.textContent = "Nothing to attribute.";
      return null;
    }
    const row = 24, width = 460;
    const m = { left: 170, right: 8, top: 6, bottom: 6 };
    const height = m.top + m.bottom + row * items.length;
    const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart bars" }, container);
    const hasNegative = items.some((item) => item.value < 0);
    const hasPositive = items.some((item) => item.value > 0);
    const room = 52;  // for the value written beyond a bar's end
    const left = m.left + (hasNegative ? room : 0);
    const right = width - m.right - (hasPositive ? room : 0);
    const span = right - left;
    const negative = items.reduce((a, item) => Math.max(a, -item.value), 0);
    const positive = items.reduce((a, item) => Math.max(a, item.value), 0);
    const zero = left + span * negative / Math.max(negative + positive, 1e-300);
    const scale = span / Math.max(negative + positive, 1e-12);
    items.forEach((item, i) => {
      const top = m.top + i * row;
      const label = text(svg, m.left - 8, top + row / 2 + 4, item.label, {
        "text-anchor": "end", class: "bar-label",
      });
      fit(label, m.left - 12);
      const length = Math.abs(item.value) * scale;
      const start = item.value < 0 ? zero - length : zero;
      el("rect", {
        x: start, y: top + 4, width: Math.max(length, 0.5), height: row - 8,
        class: item.value < 0 ? "bar negative" : "bar positive", "data-node": item.key,
      }, svg);
      text(svg, item.value < 0 ? start - 4 : start + length + 4, top + row / 2 + 4,
        (item.value > 0 ? "+" : "") + KT.format.short(item.value, unit), {
          "text-anchor": item.value < 0 ? "end" : "start", class: "bar-value",
        });
    });
    el("line", { x1: zero, x2: zero, y1: m.top, y2: height - m.bottom, class: "zero" }, svg);
    return svg;
  }

  KT.charts = { diagram, fan, bars, statusClass };
})(window.KT);
