/* The dashboard: holds the overrides typed in the room, asks the server to evaluate, solve and
   forecast them, and draws the answers. Every number shown comes from the server; the page
   only formats. */
"use strict";

(function (KT) {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(window.location.search);
  const token = params.get("token");

  const state = {
    tree: null,
    nodes: {},
    version: null,
    overrides: {},   // input name -> number, text as typed ("12%") or a per-period list
    owner: params.get("owner") || "",
    sequence: 0,     // of evaluate requests; an answer older than the last shown is dropped
    shown: 0,
    diagram: null,
    evaluation: null,
    forecastSequence: 0,
    solution: null,
    actuals: null,
    controls: {},    // input name -> {field, slider, error, row}
  };

  /* ---------------------------------------------------------------- requests */

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(path, body) {
    const headers = {};
    if (token) headers.Authorization = "Bearer " + token;
    const init = { headers, cache: "no-store" };
    if (body !== undefined) {
      init.method = "POST";
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const type = response.headers.get("Content-Type") || "";
    if (!response.ok) {
      let message = `${response.status} ${response.statusText}`;
      if (type.includes("json")) {
        const payload = await response.json().catch(() => null);
        if (payload && payload.error) message = payload.error;
      }
      throw new ApiError(response.status, message);
    }
    return type.includes("json") ? response.json() : response.text();
  }

  function banner(message) {
    const node = $("banner");
    node.textContent = message || "";
    node.hidden = !message;
  }

  function debounce(fn, wait) {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), wait);
    };
  }

  const last = (series) => (Array.isArray(series) ? series[series.length - 1] : series);
  const mean = (series) => Array.isArray(series)
    ? series.reduce((a, b) => a + b, 0) / series.length : series;
  const varies = (series) => Array.isArray(series) && series.some((v) => v !== series[0]);
  const mine = (owner) => !state.owner || owner === state.owner;
  // A node in a "%" unit holds a fraction; its field shows and takes percent, as tables show it.
  const percent = (node) => KT.format.PERCENT_UNITS.includes(node.unit);
  const shownValue = (node, value) => KT.format.editable(percent(node) ? value * 100 : value);

  function cell(row, content, cls) {
    const td = document.createElement(row.parentNode && row.parentNode.tagName === "THEAD"
      ? "th" : "td");
    td.textContent = content;
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  }

  function table(headers, rows, cls) {
    const node = document.createElement("table");
    node.className = "data " + (cls || "");
    const head = node.createTHead().insertRow();
    for (const title of headers) {
      const th = document.createElement("th");
      th.textContent = title;
      head.appendChild(th);
    }
    const body = node.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      if (row.className) tr.className = row.className;
      if (row.group) {
        const td = cell(tr, row.group, "group");
        td.colSpan = headers.length;
        continue;
      }
      row.cells.forEach((content, i) => {
        const td = cell(tr, content, i > 0 ? "num" : "name");
        if (i === 0) td.title = content;  // the name column cuts long labels
      });
      if (row.status !== undefined) {
        tr.lastChild.className = "status " + KT.charts.statusClass(row.status);
      }
    }
    return node;
  }

  /* ---------------------------------------------------------------- the tree */

  async function loadTree() {
    const tree = await api("/api/tree");
    state.tree = tree;
    state.version = tree.version;
    state.nodes = Object.fromEntries(tree.nodes.map((node) => [node.name, node]));
    for (const name of Object.keys(state.overrides)) {
      if (!state.nodes[name] || state.nodes[name].kind !== "input") delete state.overrides[name];
    }
    $("tree-name").textContent = tree.tree;
    document.title = `${tree.tree} · kpitree`;
    const kgi = state.nodes[tree.kgi];
    $("kgi-label").textContent = kgi ? (kgi.label || kgi.name) : tree.kgi;
    fillOwners();
    fillScenarios();
    buildInputs();
    buildSolveForm();
    applyOwnerFilter();
    state.diagram = KT.charts.diagram($("diagram"), tree);
    centreOnKgi($("diagram"), tree);
    document.querySelector('[data-tab="actuals"]').disabled = !tree.has_actuals;
    if (!tree.has_actuals) {
      $("actuals").textContent = "No actuals: start kpitree serve with --actuals or --measure.";
    }
  }

  // A tree wider than its pane scrolls sideways: open it with the KGI in view, not the left
  // edge of the bottom layer.
  function centreOnKgi(wrap, tree) {
    const svg = wrap.querySelector("svg.diagram");
    const box = tree.layout && tree.layout.boxes[tree.kgi];
    if (!svg || !box || wrap.scrollWidth <= wrap.clientWidth) return;
    const view = svg.viewBox.baseVal;
    const scale = svg.getBoundingClientRect().width / view.width;
    wrap.scrollLeft = Math.max(0, (box.x - view.x) * scale - wrap.clientWidth / 2);
  }

  function fillOwners() {
    const select = $("owner");
    select.length = 1;
    for (const owner of state.tree.owners) select.add(new Option(owner, owner));
    if (state.owner && !state.tree.owners.includes(state.owner)) {
      banner(`No department named '${state.owner}': showing all.`);
      state.owner = "";
    }
    select.value = state.owner;
  }

  function fillScenarios() {
    const select = $("scenario");
    const current = select.value;
    select.length = 1;
    for (const name of state.tree.scenarios) select.add(new Option(name, name));
    select.value = state.tree.scenarios.includes(current) ? current : "";
  }

  /* ---------------------------------------------------------------- inputs panel */

  function sliderRange(node, value) {
    const [low, high] = node.bounds || [null, null];
    const base = Math.abs(mean(node.value) || value || 1);
    const bench = node.benchmark || [null, null];
    let lo = low !== null ? low : Math.min(0, value);
    let hi = Math.max(base * 3, bench[1] !== null ? bench[1] * 1.5 : 0, value);
    if (high !== null) hi = Math.min(hi, high);
    if (!(hi > lo)) hi = lo + 1;
    // The server's step suggestion, made finer when it would give the slider few positions.
    const fine = Number(((hi - lo) / 400).toPrecision(1));
    const step = node.step && (hi - lo) / node.step >= 100 ? node.step : fine;
    return { lo, hi, step };
  }

  function buildInputs() {
    const box = $("inputs");
    box.textContent = "";
    state.controls = {};
    // On a reload the last values shown stay in the fields until the next answer.
    const shown = state.evaluation ? state.evaluation.evaluation.values : {};
    for (const node of state.tree.nodes) {
      if (node.kind !== "input") continue;
      const base = mean(node.name in shown ? shown[node.name] : node.value);
      const row = document.createElement("div");
      row.className = "input";
      row.dataset.node = node.name;
      row.dataset.owner = node.owner || "";
      const head = document.createElement("div");
      head.className = "input-head";
      const label = document.createElement("label");
      label.htmlFor = "field-" + node.name;
      label.textContent = node.label || node.name;
      label.title = node.name;
      const owner = document.createElement("span");
      owner.className = "owner";
      owner.textContent = node.owner || "";
      head.append(label, owner);
      const controls = document.createElement("div");
      controls.className = "input-controls";
      const field = document.createElement("input");
      field.type = "text";
      field.inputMode = "decimal";
      field.id = "field-" + node.name;
      field.name = node.name;
      field.autocomplete = "off";
      field.value = shownValue(node, base);
      const slider = document.createElement("input");
      slider.type = "range";
      slider.id = "slider-" + node.name;
      slider.setAttribute("aria-label", (node.label || node.name) + " slider");
      const range = sliderRange(node, base);
      slider.min = range.lo;
      slider.max = range.hi;
      slider.step = range.step;
      slider.value = base;
      const unit = document.createElement("span");
      unit.className = "unit";
      unit.textContent = node.unit || "";
      if (percent(node)) unit.textContent = "%";
      controls.append(field, unit, slider);
      const error = document.createElement("p");
      error.className = "field-error";
      error.id = "error-" + node.name;
      error.setAttribute("role", "alert");
      const note = document.createElement("p");
      note.className = "note";
      if (varies(node.value)) {
        note.textContent = "varies by period: the mean is shown, an edit scales every period";
      }
      row.append(head, controls, error, note);
      box.appendChild(row);
      state.controls[node.name] = { field, slider, error, row };

      const onSlide = debounce(() => {
        setOverride(node, Number(slider.value));
        field.value = shownValue(node, Number(slider.value));
        evaluate(node.name);
      }, 50);
      slider.addEventListener("input", () => {
        field.value = shownValue(node, Number(slider.value));
        onSlide();
      });
      field.addEventListener("change", () => commitField(node));
      field.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          commitField(node);
        }
      });
    }
    applyOwnerFilter();
  }

  /* A per-period input keeps its shape: the typed value becomes its mean. */
  function setOverride(node, value) {
    if (varies(node.value) && typeof value === "number") {
      const base = mean(node.value);
      state.overrides[node.name] = node.value.map((v) => (base ? v * value / base : value));
    } else {
      state.overrides[node.name] = value;
    }
  }

  function commitField(node) {
    const control = state.controls[node.name];
    let raw = control.field.value.trim();
    if (percent(node) && raw !== "" && !raw.endsWith("%")) raw += "%";
    if (raw === "") {
      delete state.overrides[node.name];
    } else if (varies(node.value) && /^[-+]?[\d.]+(e[-+]?\d+)?$/i.test(raw.replace(/,/g, ""))) {
      setOverride(node, Number(raw.replace(/,/g, "")));
    } else if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(raw)) {
      state.overrides[node.name] = Number(raw);  // saved as a number, not as text
    } else {
      state.overrides[node.name] = raw;  // the server parses "12%" and "1,200" like --set
    }
    evaluate(node.name);
  }

  function applyOwnerFilter() {
    for (const control of Object.values(state.controls)) {
      control.row.hidden = !mine(control.row.dataset.owner);
    }
    for (const lever of document.querySelectorAll("#levers .lever")) {
      lever.classList.toggle("other-owner", !mine(lever.dataset.owner));
    }
    const count = Object.values(state.controls).filter((c) => !c.row.hidden).length;
    $("inputs-hint").textContent = state.owner ? `${state.owner}: ${count}` : String(count);
    const url = new URL(window.location.href);
    if (state.owner) url.searchParams.set("owner", state.owner);
    else url.searchParams.delete("owner");
    window.history.replaceState(null, "", url);
    document.body.dataset.owner = state.owner;
  }

  /* ---------------------------------------------------------------- evaluate */

  async function evaluate(edited) {
    const sequence = ++state.sequence;
    const overrides = Object.assign({}, state.overrides);
    try {
      const answer = await api("/api/evaluate", { overrides, scenario: null });
      if (sequence < state.shown) return;  // a newer answer is already on the page
      state.shown = sequence;
      if (edited) state.controls[edited].error.textContent = "";
      showEvaluation(answer, edited);
      if (isTabOpen("forecast")) autoForecast();
    } catch (error) {
      if (error instanceof ApiError && error.status === 400 && edited) {
        // The value stays in the field, marked, and out of the overrides sent next.
        const control = state.controls[edited];
        control.error.textContent = error.message;
        control.field.classList.add("invalid");
        delete state.overrides[edited];
        return;
      }
      banner("Evaluate failed: " + error.message);
    }
  }

  function showEvaluation(answer, edited) {
    state.evaluation = answer;
    const values = answer.evaluation.values;
    const kgi = answer.kgi;
    const node = state.nodes[kgi.name] || {};
    const value = $("kgi-value");
    value.textContent = KT.format.number(kgi.value, node.unit);
    value.dataset.value = String(kgi.value);
    $("kgi-target").textContent = kgi.target === null || kgi.target === undefined ? ""
      : `target ${KT.format.number(kgi.target, node.unit)} · ` +
        `${(100 * kgi.value / kgi.target).toFixed(1)} % of it`;
    $("kgi-status").textContent = kgi.status || "";
    $("kgi").className = "kgi " + KT.charts.statusClass(kgi.status);
    $("kgi").dataset.status = kgi.status || "";
    const strip = $("milestones");
    strip.textContent = "";
    for (const milestone of kgi.milestones || []) {
      const chip = document.createElement("li");
      chip.className = "chip " + KT.charts.statusClass(milestone.status);
      chip.title = `${milestone.label || milestone.period}: ${KT.format.number(milestone.value, node.unit)} ` +
        `against ${KT.format.number(milestone.target, node.unit)} (${milestone.status || "-"})`;
      const period = document.createElement("span");
      period.className = "chip-period";
      period.textContent = milestone.label || milestone.period;
      const figure = document.createElement("span");
      figure.className = "chip-value";
      figure.textContent = `${KT.format.short(milestone.value, node.unit)} / ` +
        KT.format.short(milestone.target, node.unit);
      chip.append(period, figure);
      strip.appendChild(chip);
    }
    state.diagram.update(values, answer.status, state.owner);
    for (const [name, control] of Object.entries(state.controls)) {
      const current = mean(values[name]);
      if (current === undefined) continue;
      if (name === edited) control.field.classList.remove("invalid");
      if (document.activeElement !== control.field && !control.field.classList.contains("invalid")) {
        control.field.value = shownValue(state.nodes[name] || {}, current);
      }
      if (Number(control.slider.max) < current) control.slider.max = current;
      if (Number(control.slider.min) > current) control.slider.min = current;
      if (document.activeElement !== control.slider) control.slider.value = current;
      control.row.classList.toggle("changed", name in state.overrides);
    }
  }

  /* ---------------------------------------------------------------- scenarios, reset */

  async function loadScenario(name) {
    if (!name) {
      reset();
      return;
    }
    // The scenario's values are read back from an evaluation of it and become plain
    // overrides, so later edits start from them.
    try {
      const answer = await api("/api/evaluate", { overrides: {}, scenario: name });
      const values = answer.evaluation.values;
      state.overrides = {};
      for (const node of state.tree.nodes) {
        if (node.kind !== "input") continue;
        const now = values[node.name];
        if (JSON.stringify(now) !== JSON.stringify(node.value)) {
          state.overrides[node.name] = Array.isArray(now) && !varies(now) ? now[0] : now;
        }
      }
      for (const control of Object.values(state.controls)) {
        control.error.textContent = "";
        control.field.classList.remove("invalid");
      }
      await evaluate();
    } catch (error) {
      banner("Scenario failed: " + error.message);
    }
  }

  function reset() {
    state.overrides = {};
    $("scenario").value = "";
    for (const control of Object.values(state.controls)) {
      control.error.textContent = "";
      control.field.classList.remove("invalid");
    }
    evaluate();
  }

  /* ---------------------------------------------------------------- tabs */

  function isTabOpen(name) {
    return !$("tab-" + name).hidden;
  }

  function openTab(name) {
    for (const button of document.querySelectorAll(".tabs [data-tab]")) {
      const open = button.dataset.tab === name;
      button.setAttribute("aria-selected", String(open));
      $("tab-" + button.dataset.tab).hidden = !open;
    }
    if (name === "forecast") runForecast();
    if (name === "actuals" && state.tree.has_actuals) loadActuals();
  }

  /* ---------------------------------------------------------------- goal seek */

  function buildSolveForm() {
    const tree = state.tree;
    const box = $("levers");
    const checked = new Set(Array.from(box.querySelectorAll("input:checked"), (i) => i.value));
    const weights = new Map(Array.from(box.querySelectorAll("input.lever-weight"),
      (i) => [i.dataset.lever, i.value]));
    box.textContent = "";
    for (const name of tree.levers) {
      const node = state.nodes[name] || { name };
      const label = document.createElement("label");
      label.className = "lever";
      label.dataset.owner = node.owner || "";
      const check = document.createElement("input");
      check.type = "checkbox";
      check.value = name;
      check.checked = checked.has(name);
      // The weighted mode moves each lever in proportion to its weight (--weight NAME=W).
      const weight = document.createElement("input");
      weight.className = "lever-weight";
      weight.dataset.lever = name;
      weight.inputMode = "decimal";
      weight.value = weights.get(name) || "1";
      weight.setAttribute("aria-label", `weight of ${node.label || name}`);
      label.append(check, weight, " " + (node.label || name));
      label.title = name + (node.owner ? ` · ${node.owner}` : "");
      box.appendChild(label);
    }
    const mode = $("solve-mode");
    const chosen = mode.value;
    mode.length = 0;
    for (const name of tree.modes) mode.add(new Option(name, name));
    if (chosen) mode.value = chosen;
    showWeights();
    const kgi = state.nodes[tree.kgi];
    const target = Array.isArray(kgi && kgi.target) ? last(kgi.target) : kgi && kgi.target;
    if (!$("solve-target").value && target !== null && target !== undefined) {
      $("solve-target").value = KT.format.editable(target);
    }
    const period = $("solve-period");
    const periodChosen = period.value;
    period.length = 1;
    for (const label of tree.periods || []) period.add(new Option(label, label));
    period.value = periodChosen;
    period.disabled = !(tree.periods && tree.periods.length);
  }

  function showWeights() {
    $("levers").classList.toggle("weighted", $("solve-mode").value === "weighted");
  }

  async function runSolve() {
    const levers = Array.from($("levers").querySelectorAll("input:checked"), (i) => i.value);
    const message = $("solve-message");
    if (!levers.length) {
      message.textContent = "Choose at least one lever.";
      return;
    }
    message.textContent = "Solving…";
    const body = {
      target: $("solve-target").value.trim() || null,
      levers,
      mode: $("solve-mode").value,
      period: $("solve-period").value || null,
      overrides: Object.assign({}, state.overrides),
    };
    if (body.mode === "weighted") {
      body.weights = Object.fromEntries(levers.map((name) => [name,
        $("levers").querySelector(`input.lever-weight[data-lever="${CSS.escape(name)}"]`)
          .value.trim() || "1"]));
    }
    try {
      const answer = await api("/api/solve", body);
      state.solution = answer;
      message.textContent = "";
      showSolution();
    } catch (error) {
      message.textContent = error.message;
      $("solve-result").textContent = "";
    }
  }

  function cascadeRows(cascade) {
    // The cascade may come as rows, as {rows}, or grouped {owner: rows}.
    if (Array.isArray(cascade)) {
      return cascade.flatMap((item) => (Array.isArray(item.rows)
        ? item.rows.map((row) => Object.assign({ owner: item.owner }, row)) : [item]));
    }
    if (cascade && Array.isArray(cascade.rows)) return cascade.rows;
    if (cascade && typeof cascade === "object") {
      return Object.entries(cascade).flatMap(([owner, rows]) =>
        (Array.isArray(rows) ? rows.map((row) => Object.assign({ owner }, row)) : []));
    }
    return [];
  }

  function showSolution() {
    const box = $("solve-result");
    box.textContent = "";
    if (!state.solution) return;
    const solution = state.solution.solution;
    const kgiNode = state.nodes[solution.node] || {};
    const head = document.createElement("p");
    head.className = "verdict " + (solution.feasible ? "status-on-track" : "status-off-track");
    head.id = "solve-verdict";
    head.textContent = solution.feasible
      ? `${kgiNode.label || solution.node} reaches ${KT.format.number(solution.target, kgiNode.unit)}`
      : `Not reachable within the levers' bounds: best ` +
        `${KT.format.number(solution.kgi_reached, kgiNode.unit)}`;
    box.appendChild(head);
    const leverRows = Object.keys(solution.levers).filter((name) => name in solution.before)
      .map((name) => {
        const node = state.nodes[name] || {};
        return {
          cells: [node.label || name, KT.format.number(mean(solution.before[name]), node.unit),
            KT.format.number(mean(solution.levers[name]), node.unit),
            KT.format.percentChange(solution.changes[name])],
          className: mine(node.owner) ? "" : "other-owner",
        };
      });
    const levers = table(["lever", "old", "new", "change"], leverRows, "levers-table");
    levers.id = "solve-levers";
    box.appendChild(levers);
    const apply = document.createElement("button");
    apply.type = "button";
    apply.id = "solve-apply";
    apply.className = "primary";
    apply.textContent = "Apply to inputs";
    apply.addEventListener("click", applySolution);
    box.appendChild(apply);
    for (const warning of solution.warnings || []) {
      const p = document.createElement("p");
      p.className = "warning";
      const node = state.nodes[warning.lever] || {};
      p.textContent = `${node.label || warning.lever}: ${warning.kind} ` +
        `(${KT.format.number(warning.value, node.unit)} against ` +
        `${KT.format.number(warning.limit, node.unit)})`;
      box.appendChild(p);
    }
    const title = document.createElement("h3");
    title.textContent = "Targets per department";
    box.appendChild(title);
    const rows = cascadeRows(state.solution.cascade).filter((row) => mine(row.owner));
    const groups = new Map();
    for (const row of rows) {
      if (!groups.has(row.owner)) groups.set(row.owner, []);
      groups.get(row.owner).push(row);
    }
    const shown = [];
    for (const [owner, members] of groups) {
      shown.push({ group: owner });
      for (const row of members) {
        const node = state.nodes[row.node] || {};
        shown.push({
          cells: [(row.lever ? "▶ " : "") + (row.label || row.node),
            KT.format.number(row.plan, node.unit), KT.format.number(row.target, node.unit),
            KT.format.percentChange(row.change)],
          className: row.lever ? "lever-row" : "",
        });
      }
    }
    const cascade = table(["node", "plan", "target", "change"], shown, "cascade");
    cascade.id = "solve-cascade";
    box.appendChild(cascade);
  }

  function applySolution() {
    const solution = state.solution && state.solution.solution;
    if (!solution) return;
    for (const name of Object.keys(solution.before)) {
      const value = solution.levers[name];
      state.overrides[name] = Array.isArray(value) && !varies(value) ? value[0] : value;
    }
    evaluate();
  }

  /* ---------------------------------------------------------------- forecast */

  async function runForecast() {
    const sequence = ++state.forecastSequence;
    const message = $("forecast-message");
    message.textContent = "Forecasting…";
    const samples = Math.min(Math.max(Number($("forecast-samples").value) || 2000, 1), 50000);
    const seed = Number($("forecast-seed").value) || 0;
    try {
      const answer = await api("/api/forecast", {
        overrides: Object.assign({}, state.overrides), samples, seed,
      });
      if (sequence !== state.forecastSequence) return;
      message.textContent = `${samples.toLocaleString("en-US")} simulated paths, seed ${seed}`;
      const kgi = state.nodes[state.tree.kgi] || {};
      KT.charts.fan($("forecast-chart"), answer.fan, kgi.unit, answer.target);
      const probability = $("forecast-probability");
      if (answer.p_target === null || answer.p_target === undefined) {
        probability.textContent = "No target to reach.";
      } else {
        probability.textContent =
          `P(${kgi.label || state.tree.kgi} ≥ ${KT.format.short(answer.target, kgi.unit)}) = ` +
          `${(100 * answer.p_target).toFixed(1)} %`;
      }
    } catch (error) {
      if (sequence === state.forecastSequence) message.textContent = error.message;
    }
  }
  const autoForecast = debounce(runForecast, 500);

  /* ---------------------------------------------------------------- plan vs actual */

  async function loadActuals() {
    try {
      state.actuals = await api("/api/actuals");
      showActuals();
    } catch (error) {
      $("actuals").textContent = error.message;
    }
  }

  function showActuals() {
    const box = $("actuals");
    box.textContent = "";
    const answer = state.actuals;
    if (!answer || !answer.available) {
      box.textContent = "No actuals.";
      return;
    }
    const comparison = answer.comparison;
    const periods = comparison.periods || [];
    const pick = document.createElement("label");
    pick.textContent = "Period ";
    const select = document.createElement("select");
    select.id = "actuals-period";
    for (const period of periods) {
      select.add(new Option(period === answer.partial ? `${period} (partial)` : period, period));
    }
    const settled = periods.filter((p) => p !== answer.partial);
    select.value = state.actualsPeriod && periods.includes(state.actualsPeriod)
      ? state.actualsPeriod : (settled.length ? settled[settled.length - 1] : periods[0]);
    select.addEventListener("change", () => {
      state.actualsPeriod = select.value;
      showActuals();
    });
    pick.appendChild(select);
    box.appendChild(pick);
    const period = select.value;
    if (period === answer.partial) {
      const note = document.createElement("p");
      note.className = "warning";
      note.textContent = `${period} is partial: counted to date, not a whole period.`;
      box.appendChild(note);
    }
    const rows = comparison.rows.filter((row) => (row.period === undefined || row.period === period))
      .filter((row) => mine((state.nodes[row.node] || {}).owner))
      .map((row) => {
        const node = state.nodes[row.node] || {};
        return {
          cells: [node.label || row.node, KT.format.number(row.plan, node.unit),
            KT.format.number(row.actual, node.unit),
            (row.difference > 0 ? "+" : "") + KT.format.number(row.difference, node.unit),
            row.status || "-"],
          status: row.status,
          className: row.node === state.tree.kgi ? "kgi-row" : "",
        };
      });
    const compare = table(["node", "plan", "actual", "difference", "status"], rows, "comparison");
    compare.id = "comparison";
    box.appendChild(compare);

    const attribution = answer.attribution;
    const title = document.createElement("h3");
    const kgi = state.nodes[attribution.kgi] || {};
    title.textContent = `Why ${kgi.label || attribution.kgi} differs from plan at ` +
      `${attribution.period}: ${(attribution.delta > 0 ? "+" : "")}` +
      `${KT.format.short(attribution.delta, kgi.unit)}`;
    box.appendChild(title);
    const items = Object.entries(attribution.contributions || {})
      .filter(([name, value]) => value !== 0 && mine((state.nodes[name] || {}).owner))
      .map(([name, value]) => ({ key: name, label: (state.nodes[name] || {}).label || name, value }))
      .sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
    const chart = document.createElement("div");
    chart.id = "attribution";
    box.appendChild(chart);
    KT.charts.bars(chart, items, kgi.unit);
  }

  /* ---------------------------------------------------------------- save, download */

  async function save() {
    const name = $("save-name").value.trim();
    const message = $("save-message");
    message.textContent = "";
    message.className = "message";
    if (!name) {
      message.textContent = "Give the scenario a name.";
      return;
    }
    try {
      const answer = await api("/api/scenario", {
        name, overrides: Object.assign({}, state.overrides), version: state.version,
      });
      message.textContent = `Saved scenario '${answer.saved}' into the tree file.`;
      message.className = "message ok";
      await reload(answer.version);
    } catch (error) {
      message.textContent = error.message;
      message.className = "message error";
      if (error.status === 409) {
        const button = document.createElement("button");
        button.type = "button";
        button.id = "save-reload";
        button.textContent = "Reload the tree";
        button.addEventListener("click", () => reload(null));
        message.append(" ", button);
      }
    }
  }

  async function download() {
    const name = $("save-name").value.trim() || "session";
    const headers = { "Content-Type": "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    const response = await fetch("/api/scenario.yaml", {
      method: "POST", headers, body: JSON.stringify({ name, overrides: state.overrides }),
    });
    if (!response.ok) {
      const payload = await response.json().catch(() => ({}));
      $("save-message").textContent = payload.error || response.statusText;
      return;
    }
    const blob = await response.blob();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name + ".yaml";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  /* ---------------------------------------------------------------- reload on change */

  async function reload(expected) {
    await loadTree();
    if (expected) state.version = expected;
    await evaluate();
    if (state.solution) showSolution();
    if (isTabOpen("actuals") && state.tree.has_actuals) loadActuals();
  }

  async function poll() {
    try {
      const answer = await api("/api/version");
      if (answer.error) {
        banner(answer.error);
      } else {
        banner("");
        if (answer.version !== state.version) await reload(null);
      }
    } catch (error) {
      banner("The server does not answer: " + error.message);
    }
    setTimeout(poll, 2000);
  }

  /* ---------------------------------------------------------------- start */

  async function start() {
    $("owner").addEventListener("change", (event) => {
      state.owner = event.target.value;
      applyOwnerFilter();
      if (state.evaluation) state.diagram.update(state.evaluation.evaluation.values,
        state.evaluation.status, state.owner);
      if (state.solution) showSolution();
      if (state.actuals) showActuals();
    });
    $("scenario").addEventListener("change", (event) => loadScenario(event.target.value));
    $("reset").addEventListener("click", reset);
    for (const button of document.querySelectorAll(".tabs [data-tab]")) {
      button.addEventListener("click", () => openTab(button.dataset.tab));
    }
    $("solve").addEventListener("click", runSolve);
    $("solve-mode").addEventListener("change", showWeights);
    $("forecast").addEventListener("click", runForecast);
    $("save").addEventListener("click", save);
    $("download").addEventListener("click", download);
    try {
      await loadTree();
      await evaluate();
      document.body.dataset.ready = "true";
    } catch (error) {
      banner("Could not load the tree: " + error.message);
    }
    setTimeout(poll, 2000);
  }

  KT.state = state;
  start();
})(window.KT);
