// The coordinator dashboard: reads only the disclosure-controlled aggregate endpoints of this API
// and draws them with Chart.js (vendored under /dashboard/vendor/, see its README). No build step.
// A withheld value is never drawn as a bar of a guessed height: it is left out of the bars and
// shown as "x" in the tables, the tooltips and the labels beside the bars.
"use strict";
// LABELS (Serbian Latin and English) come from dashboard-labels.js, loaded first.

const FUNNEL = ["referrals_sent", "referrals_accepted", "referrals_declined", "referrals_completed"];
const TIMELINESS = ["timely_extension_proposal", "timely_court_decision", "timely_p1_answer", "timely_group_review"];
const COLOURS = ["#2b5f8a", "#e07b39", "#4c9a5b", "#b24a6e", "#7a62b3", "#c4a23a", "#3a9fb0", "#8a6d4f", "#5a5a5a"];
const WITHHELD_GREY = "#c3c8ce";
const WITHHELD_RED = "#a33";
const TOTAL = "*";

let lang = localStorage.getItem("povezimo-lang") || "sr";
let data = null;
const charts = {};

function t(key) {
  const threshold = data ? data.cases.threshold : 5;
  return (LABELS[lang][key] || key).replace("{t}", threshold);
}

// "x", not "<5": a cell withheld to protect another may be large, and which is which is not said.
function withheld(_release) { return "x"; }

function show(value, release) { return value === null || value === undefined ? withheld(release) : String(value); }

function percent(rate) { return new Intl.NumberFormat(lang === "sr" ? "sr-Latn" : "en", { style: "percent", maximumFractionDigits: 0 }).format(rate); }

function monthName(month) {
  const [year, number] = month.split("-").map(Number);
  if (!year || !number) return month;
  return new Date(year, number - 1, 1).toLocaleDateString(lang === "sr" ? "sr-Latn" : "en", { month: "short", year: "numeric" });
}

// "pool:branicevski" is the district pool small municipalities are reported under.
function areaName(area) {
  const pooled = area.startsWith("pool:");
  const name = pooled ? area.slice(5) : area;
  const shown = name === "unknown" ? t("unknown") : name.charAt(0).toUpperCase() + name.slice(1);
  return pooled ? `${shown} (${t("pool")})` : shown;
}

async function fetchRelease(indicator, by) {
  const answer = await fetch(`/v1/aggregate/indicators/${indicator}?by=${by}`, {
    headers: { Authorization: "Bearer " + sessionStorage.getItem("povezimo-token") },
  });
  if (!answer.ok) {
    const body = await answer.json().catch(() => ({}));
    throw new Error(`${answer.status} ${body.code || ""}`);
  }
  return answer.json();
}

// The row that totals a release: every dimension "*", or the only row when there is one.
function grandRow(release) {
  const all = release.rows.find((row) => release.by.every((d) => row[d] === TOTAL));
  if (all) return all;
  return release.rows.length === 1 ? release.rows[0] : null;
}

function cellsOf(release) {
  const [rowDim, colDim] = release.by;
  const find = (r, c) => release.rows.find((row) => row[rowDim] === r && row[colDim] === c);
  const inner = release.rows.filter((row) => row[rowDim] !== TOTAL && row[colDim] !== TOTAL);
  return {
    find,
    rows: [...new Set(inner.map((row) => row[rowDim]))].sort(),
    cols: [...new Set(inner.map((row) => row[colDim]))].sort(),
  };
}

// Writes a text beside each bar (a total, a share with its n, or "x" in red where withheld).
// Options: plugins.barLabels.items = [{ index, at, text, withheld }], at = the value axis position.
const barLabels = {
  id: "barLabels",
  afterDatasetsDraw(chart, _args, options) {
    const { ctx, scales } = chart;
    const horizontal = chart.options.indexAxis === "y";
    const valueScale = horizontal ? scales.x : scales.y;
    const indexScale = horizontal ? scales.y : scales.x;
    ctx.save();
    ctx.font = "12px system-ui, sans-serif";
    for (const item of options.items || []) {
      const along = indexScale.getPixelForValue(item.index);
      const across = valueScale.getPixelForValue(item.at || 0);
      ctx.fillStyle = item.withheld ? WITHHELD_RED : "#1d2733";
      ctx.textAlign = horizontal ? "left" : "center";
      ctx.textBaseline = horizontal ? "middle" : "bottom";
      if (horizontal) ctx.fillText(item.text, across + 6, along);
      else ctx.fillText(item.text, along, across - 4);
    }
    ctx.restore();
  },
};

function draw(id, config) {
  if (charts[id]) charts[id].destroy();
  delete charts[id];
  if (!config || typeof Chart === "undefined") return; // the tables still carry every figure
  config.plugins = [barLabels];
  config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options);
  charts[id] = new Chart(document.getElementById(id), config);
}

function cell(row, text, className) {
  const node = row.insertCell();
  node.textContent = text;
  if (className) node.className = className;
  return node;
}

function header(table, texts) {
  const head = table.insertRow();
  for (const text of texts) head.appendChild(document.createElement("th")).textContent = text;
}

function releasedCell(row, found, release) {
  if (!found) return cell(row, "–");
  return cell(row, show(found.count, release), found.count === null ? "withheld" : "");
}

// Long axis labels on lines of about `width` characters (Chart.js draws an array as lines).
function wrap(text, width) {
  const lines = [];
  for (const word of text.split(" ")) {
    const last = lines.length - 1;
    if (last >= 0 && (lines[last] + " " + word).length <= width) lines[last] += " " + word;
    else lines.push(word);
  }
  return lines;
}

// The totals row is shown only where the release has one (a single month is its own total).
function withTotal(keys, published) { return published(TOTAL) ? [...keys, TOTAL] : keys; }

function drawCases(release) {
  const { find, rows: months, cols: areas } = cellsOf(release);
  const value = (m, a) => { const found = find(m, a); return found ? found.count : undefined; };
  const monthTotal = (m) => {
    const found = find(m, TOTAL);
    if (found) return found.count;
    return areas.length === 1 ? value(m, areas[0]) : null;
  };
  const visible = (m) => areas.reduce((sum, a) => sum + (value(m, a) || 0), 0);
  const hidden = (m) => areas.filter((a) => value(m, a) === null);
  // Where a month's total is published, its withheld cells together are the total less the
  // published cells: an exact, published figure, drawn as one grey block, never split by area.
  const together = (m) => {
    const total = monthTotal(m);
    return total !== null && total !== undefined && total > visible(m) ? total - visible(m) : null;
  };
  // An area with no released value in any month has no bar and no legend entry: the table has it.
  const drawn = areas.filter((a) => months.some((m) => value(m, a)));
  const datasets = drawn.map((a, k) => ({
    label: areaName(a),
    data: months.map((m) => value(m, a) || null),
    backgroundColor: COLOURS[k % COLOURS.length],
    stack: "cases",
    maxBarThickness: 90,
  }));
  datasets.push({ label: t("withheldTogether"), data: months.map(together), backgroundColor: WITHHELD_GREY, stack: "cases", maxBarThickness: 90 });
  const items = months.map((m, index) => {
    const total = monthTotal(m);
    const known = total !== null && total !== undefined;
    return { index, at: known ? total : visible(m), text: known ? String(total) : withheld(release), withheld: !known };
  });
  draw("cases-chart", {
    type: "bar",
    data: { labels: months.map(monthName), datasets },
    options: {
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, grace: "10%" } },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12 } },
        barLabels: { items },
        tooltip: {
          mode: "index",
          callbacks: {
            footer: (points) => {
              const m = months[points[0].dataIndex];
              const lines = [];
              if (hidden(m).length) lines.push(t("withheldEach"), ...hidden(m).map((a) => "  " + areaName(a)));
              if (monthTotal(m) === null) lines.push(t("monthWithheld"));
              return lines;
            },
          },
        },
      },
    },
  });
  const table = document.getElementById("cases-table");
  table.replaceChildren();
  header(table, [t("month"), ...areas.map(areaName), t("total")]);
  for (const m of withTotal(months, (m) => areas.some((a) => find(m, a)))) {
    const row = table.insertRow();
    row.appendChild(document.createElement("th")).textContent = m === TOTAL ? t("total") : monthName(m);
    for (const a of [...areas, TOTAL]) releasedCell(row, find(m, a), release);
  }
}

function drawFunnel(releases) {
  const rows = FUNNEL.map((name) => ({ name, release: releases[name], row: grandRow(releases[name]) }));
  const count = ({ row }) => (row ? row.count : 0); // no row: nothing of the kind happened
  const sent = count(rows[0]);
  draw("funnel-chart", {
    type: "bar",
    data: {
      labels: rows.map(({ name }) => t(name)),
      datasets: [{ data: rows.map((r) => count(r)), backgroundColor: rows.map((_r, k) => COLOURS[k]) }],
    },
    options: {
      indexAxis: "y",
      layout: { padding: { right: 40 } },
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (point) => show(count(rows[point.dataIndex]), rows[point.dataIndex].release) } },
        barLabels: { items: rows.map((r, index) => ({ index, at: count(r) || 0, text: show(count(r), r.release), withheld: count(r) === null })) },
      },
    },
  });
  const table = document.getElementById("funnel-table");
  table.replaceChildren();
  header(table, [t("indicator"), t("count"), t("ofSent")]);
  for (const r of rows) {
    const row = table.insertRow();
    row.appendChild(document.createElement("th")).textContent = t(r.name);
    const value = count(r);
    cell(row, show(value, r.release), value === null ? "withheld" : "").dataset.indicator = r.name;
    const share = r.name !== "referrals_sent" && value !== null && sent ? percent(value / sent) : "";
    cell(row, share);
  }
}

function drawTimeliness(releases) {
  const rows = TIMELINESS.map((name) => {
    const release = releases[name];
    const row = grandRow(release);
    const none = !row || row.denominator === 0;
    const hiddenRate = !none && (row.numerator === null || row.denominator === null || row.rate === null);
    const text = none ? t("noCases") : hiddenRate ? withheld(release) : `${percent(row.rate)} (${row.numerator}/${row.denominator})`;
    return { name, release, row, none, hiddenRate, text };
  });
  draw("timeliness-chart", {
    type: "bar",
    data: {
      labels: rows.map(({ name }) => wrap(t(name), 24)),
      datasets: [{ data: rows.map((r) => (r.none || r.hiddenRate ? null : r.row.rate * 100)), backgroundColor: rows.map((_r, k) => COLOURS[k]) }],
    },
    options: {
      indexAxis: "y",
      layout: { padding: { right: 90 } }, // room for "100 % (12/12)" beside a full bar
      scales: {
        x: { min: 0, max: 100, ticks: { stepSize: 25, callback: (v) => percent(v / 100) } },
        y: { ticks: { autoSkip: false } }, // every deadline is named, however long its label
      },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (point) => rows[point.dataIndex].text } },
        barLabels: { items: rows.map((r, index) => ({ index, at: r.none || r.hiddenRate ? 0 : r.row.rate * 100, text: r.text, withheld: r.hiddenRate })) },
      },
    },
  });
  const table = document.getElementById("timeliness-table");
  table.replaceChildren();
  header(table, [t("indicator"), t("withinDeadline"), t("n")]);
  for (const r of rows) {
    const row = table.insertRow();
    row.appendChild(document.createElement("th")).textContent = t(r.name);
    const share = r.none ? t("noCases") : r.hiddenRate ? withheld(r.release) : percent(r.row.rate);
    cell(row, share, r.hiddenRate ? "withheld" : "").dataset.indicator = r.name;
    cell(row, r.none ? "0" : show(r.row.denominator, r.release), r.row && r.row.denominator === null ? "withheld" : "");
  }
}

function drawVictims(release) {
  const { find, rows: sexes, cols: years } = cellsOf(release);
  const released = (s, b) => { const found = find(s, b); return found && found.count ? found.count : null; };
  const anyReleased = sexes.some((s) => years.some((b) => released(s, b) !== null));
  // Where every cell by sex is withheld the years' totals may still be released: chart those.
  const yearTotals = years.map((b) => find(TOTAL, b)).filter(Boolean);
  const anyTotal = yearTotals.some((row) => row.count);
  document.getElementById("victims-chart").parentElement.hidden = !anyReleased && !anyTotal;
  const sexName = (s) => t(s === "unknown" ? "unknown" : s);
  const yearName = (b) => (b === "unknown" ? t("unknown") : b);
  if (!anyReleased && anyTotal) {
    const count = (b) => (find(TOTAL, b) ? find(TOTAL, b).count : 0);
    draw("victims-chart", {
      type: "bar",
      data: { labels: years.map(yearName), datasets: [{ label: t("total"), data: years.map((b) => count(b) || null), backgroundColor: COLOURS[6], maxBarThickness: 60 }] },
      options: {
        scales: { y: { beginAtZero: true, ticks: { precision: 0 }, grace: "10%" } },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (point) => show(count(years[point.dataIndex]), release) } },
          barLabels: { items: years.map((b, index) => ({ index, at: count(b) || 0, text: show(count(b), release), withheld: count(b) === null })) },
        },
      },
    });
  } else if (anyReleased) {
    draw("victims-chart", {
      type: "bar",
      data: {
        labels: years.map(yearName),
        datasets: sexes.map((s, k) => ({ label: sexName(s), data: years.map((b) => released(s, b)), backgroundColor: COLOURS[(k + 3) % COLOURS.length] })),
      },
      options: {
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: { mode: "index", callbacks: { footer: (points) => {
            const b = years[points[0].dataIndex];
            const hiddenSexes = sexes.filter((s) => find(s, b) && find(s, b).count === null).map(sexName);
            return hiddenSexes.length ? [`${withheld(release)}: ${hiddenSexes.join(", ")}`] : [];
          } } },
        },
      },
    });
  } else draw("victims-chart", null);
  const table = document.getElementById("victims-table");
  table.replaceChildren();
  if (!anyReleased) table.createCaption().textContent = t(anyTotal ? "bySexInTable" : "onlyTable");
  header(table, [`${t("sex")} \\ ${t("year")}`, ...years.map(yearName), t("total")]);
  for (const s of withTotal(sexes, (s) => years.some((b) => find(s, b)))) {
    const row = table.insertRow();
    row.appendChild(document.createElement("th")).textContent = s === TOTAL ? t("total") : sexName(s);
    for (const b of [...years, TOTAL]) releasedCell(row, find(s, b), release);
  }
}

function render() {
  document.documentElement.lang = lang === "sr" ? "sr-Latn" : "en";
  document.querySelectorAll("[data-label]").forEach((node) => { node.textContent = t(node.dataset.label); });
  if (!data) return;
  const total = grandRow(data.total);
  document.getElementById("total-cases").textContent = total ? show(total.count, data.total) : "0";
  const victims = grandRow(data.victims);
  document.getElementById("total-victims").textContent = victims ? show(victims.count, data.victims) : "0";
  drawCases(data.cases);
  drawFunnel(data.funnel);
  drawTimeliness(data.timeliness);
  drawVictims(data.victims);
  document.body.dataset.charts = String(Object.keys(charts).length);
  renderProgramme(); // dashboard-programme.js: its own charts, redrawn in the chosen language
}

async function load() {
  const status = document.getElementById("status");
  status.className = "";
  status.textContent = t("loading");
  try {
    const [total, cases, victims, ...rest] = await Promise.all([
      fetchRelease("reported_cases", "year"),
      fetchRelease("reported_cases", "month,municipality"),
      // Distinct people are released by year, crossed with one more dimension at most.
      fetchRelease("distinct_victims", "sex,year"),
      ...FUNNEL.map((name) => fetchRelease(name, "year")),
      ...TIMELINESS.map((name) => fetchRelease(name, "year")),
    ]);
    data = {
      total,
      cases,
      victims,
      funnel: Object.fromEntries(FUNNEL.map((name, i) => [name, rest[i]])),
      timeliness: Object.fromEntries(TIMELINESS.map((name, i) => [name, rest[FUNNEL.length + i]])),
    };
    document.getElementById("dashboard").hidden = false;
    document.getElementById("login").hidden = true;
    status.textContent = "";
    render();
    // The programme's section follows; its failure leaves the regional figures standing.
    await loadProgramme().catch((error) => { document.body.dataset.programme = `failed: ${error.message}`; });
    document.body.dataset.state = "ready";
  } catch (error) {
    status.className = "error";
    status.textContent = `${t("failed")}: ${error.message}`;
    document.getElementById("login").hidden = false;
    document.body.dataset.state = "failed";
  }
}

// Which chart library drew the page ("absent" when its script did not load: the tables remain).
document.body.dataset.chartLibrary = typeof Chart === "undefined" ? "absent" : `chart.js ${Chart.version}`;
if (typeof Chart !== "undefined") {
  Chart.defaults.font.family = "system-ui, sans-serif";
  Chart.defaults.color = "#1d2733";
}

document.querySelectorAll("[data-lang]").forEach((button) => button.addEventListener("click", () => {
  lang = button.dataset.lang;
  localStorage.setItem("povezimo-lang", lang);
  render();
}));
document.getElementById("login").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem("povezimo-token", document.getElementById("token").value);
  load();
});

// A token may arrive in the fragment (never sent to a server); it is kept for the tab only.
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get("token")) {
  sessionStorage.setItem("povezimo-token", fragment.get("token"));
  if (fragment.get("lang") in LABELS) lang = fragment.get("lang");
  history.replaceState(null, "", location.pathname);
}
render();
if (sessionStorage.getItem("povezimo-token")) load();
else document.getElementById("login").hidden = false;
