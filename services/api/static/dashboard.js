// The coordinator dashboard: reads only the disclosure-controlled aggregate endpoints of this API
// and draws them as SVG. No build step and no third-party code: plain browser JavaScript.
"use strict";

const LABELS = {
  sr: {
    title: "Povezimo – regionalni pregled",
    token: "Token koordinatora:",
    open: "Otvori",
    loading: "Učitavanje…",
    failed: "Podaci nisu dostupni",
    suppressionNote: "Vrednosti manje od praga zaštite prikazane su kao „<{t}“, zajedno sa ćelijama iz kojih bi se mogle izračunati.",
    totalCases: "Ukupno prijavljenih slučajeva",
    casesByMonth: "Prijavljeni slučajevi po mesecu i opštini (ili okrugu za male opštine)",
    funnel: "Tok upućivanja",
    timeliness: "Poštovanje zakonskih rokova",
    month: "Mesec",
    total: "Ukupno",
    referrals_sent: "Poslato",
    referrals_accepted: "Prihvaćeno",
    referrals_declined: "Odbijeno",
    referrals_completed: "Završeno",
    timely_extension_proposal: "Predlog produženja u roku od 24 h",
    timely_court_decision: "Odluka suda u roku od 24 h",
    timely_p1_answer: "Odgovor na hitno (P1) upućivanje u roku",
    timely_group_review: "Razmatranje na grupi za koordinaciju u roku od 15 dana",
  },
  en: {
    title: "Povezimo – regional overview",
    token: "Coordinator token:",
    open: "Open",
    loading: "Loading…",
    failed: "Data not available",
    suppressionNote: "Values below the protection threshold are shown as \"<{t}\", together with the cells they could be recomputed from.",
    totalCases: "Total reported cases",
    casesByMonth: "Reported cases by month and municipality (or district pool for small ones)",
    funnel: "Referral funnel",
    timeliness: "Timeliness against statutory deadlines",
    month: "Month",
    total: "Total",
    referrals_sent: "Sent",
    referrals_accepted: "Accepted",
    referrals_declined: "Declined",
    referrals_completed: "Completed",
    timely_extension_proposal: "Extension proposed within 24 h",
    timely_court_decision: "Court decided within 24 h",
    timely_p1_answer: "Urgent (P1) referral answered in time",
    timely_group_review: "Coordination group review within 15 days",
  },
};
const FUNNEL = ["referrals_sent", "referrals_accepted", "referrals_declined", "referrals_completed"];
const TIMELINESS = ["timely_extension_proposal", "timely_court_decision", "timely_p1_answer", "timely_group_review"];
const COLOURS = ["#2b5f8a", "#e07b39", "#4c9a5b", "#b24a6e", "#7a62b3", "#c4a23a", "#3a9fb0", "#8a6d4f", "#5a5a5a"];
const TOTAL = "*";

let lang = localStorage.getItem("povezimo-lang") || "sr";
let data = null;

function t(key) { return LABELS[lang][key] || key; }

function withheld(release) { return "<" + release.threshold; }

function show(value, release) { return value === null || value === undefined ? withheld(release) : String(value); }

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

function svg(tag, attributes, text) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function drawCases(release) {
  const [rowDim, colDim] = release.by;
  const cells = release.rows.filter((r) => r[rowDim] !== TOTAL && r[colDim] !== TOTAL);
  const months = [...new Set(cells.map((r) => r[rowDim]))].sort();
  const areas = [...new Set(cells.map((r) => r[colDim]))].sort();
  const value = (m, a) => (cells.find((r) => r[rowDim] === m && r[colDim] === a) || {}).count;
  const monthTotal = (m) => {
    const found = release.rows.find((r) => r[rowDim] === m && r[colDim] === TOTAL);
    if (found) return found.count;
    return areas.length === 1 ? value(m, areas[0]) : null;
  };
  const visible = (m) => areas.reduce((s, a) => s + (value(m, a) || 0), 0);
  const top = Math.max(1, ...months.map((m) => Math.max(visible(m), monthTotal(m) || 0)));
  const width = 900, height = 260, left = 40, bottom = 40, band = (width - left) / Math.max(1, months.length);
  const scale = (v) => (v / top) * (height - bottom - 24);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  const barWidth = Math.min(band - 8, 80);
  months.forEach((m, i) => {
    const x = left + i * band + (band - barWidth) / 2;
    let y = height - bottom;
    areas.forEach((a, k) => {
      const v = value(m, a);
      if (!v) return;
      const h = scale(v);
      chart.appendChild(svg("rect", { x, y: y - h, width: barWidth, height: h, fill: COLOURS[k % COLOURS.length] }));
      y -= h;
    });
    // Withheld cells are not drawn one by one; where the month's total is published, the part of
    // it that they make up is shown together, in grey, so the bar still has its true height.
    const total = monthTotal(m);
    if (total !== null && total !== undefined && total > visible(m)) {
      const h = scale(total - visible(m));
      chart.appendChild(svg("rect", { x, y: y - h, width: barWidth, height: h, fill: "#b9bec5", class: "withheld-share" }));
      y -= h;
    }
    const label = total === null || total === undefined ? withheld(release) : String(total);
    chart.appendChild(svg("text", { x: x + barWidth / 2, y: y - 6, "text-anchor": "middle", "font-size": 12, class: "month-total" }, label));
    chart.appendChild(svg("text", { x: x + barWidth / 2, y: height - bottom + 16, "text-anchor": "middle", "font-size": 12 }, m));
  });
  chart.appendChild(svg("line", { x1: left, x2: width, y1: height - bottom, y2: height - bottom, stroke: "#333" }));
  const legend = svg("svg", { viewBox: `0 0 ${width} 24`, class: "legend" });
  [...areas, withheld(release)].forEach((a, k) => {
    const x = (k % 6) * 150;
    const colour = k < areas.length ? COLOURS[k % COLOURS.length] : "#b9bec5";
    legend.appendChild(svg("rect", { x, y: 6, width: 12, height: 12, fill: colour }));
    legend.appendChild(svg("text", { x: x + 18, y: 17, "font-size": 12 }, a));
  });
  if (areas.length >= 6) legend.setAttribute("viewBox", `0 0 ${width} ${24 * Math.ceil((areas.length + 1) / 6)}`);
  [...legend.children].forEach((node, n) => {
    const k = Math.floor(n / 2);
    node.setAttribute("y", Number(node.getAttribute("y")) + 24 * Math.floor(k / 6));
  });
  document.getElementById("cases-chart").replaceChildren(chart, legend);
  drawCasesTable(release, months, areas);
}

function drawCasesTable(release, months, areas) {
  const [rowDim, colDim] = release.by;
  const find = (m, a) => release.rows.find((r) => r[rowDim] === m && r[colDim] === a);
  const table = document.getElementById("cases-table");
  table.replaceChildren();
  const head = table.insertRow();
  for (const text of [t("month"), ...areas, t("total")]) head.appendChild(document.createElement("th")).textContent = text;
  for (const m of [...months, TOTAL]) {
    const row = table.insertRow();
    row.appendChild(document.createElement("th")).textContent = m === TOTAL ? t("total") : m;
    for (const a of [...areas, TOTAL]) {
      const found = find(m, a);
      const cell = row.insertCell();
      if (!found) { cell.textContent = "–"; continue; }
      cell.textContent = show(found.count, release);
      if (found.count === null) cell.className = "withheld";
    }
  }
}

function drawBars(boxId, items, release, percent) {
  const width = 900, rowHeight = 34, left = 330;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${items.length * rowHeight + 10}`, role: "img" });
  const top = percent ? 1 : Math.max(1, ...items.map((i) => i.value || 0));
  items.forEach((item, i) => {
    const y = i * rowHeight + 5;
    chart.appendChild(svg("text", { x: 0, y: y + 20, "font-size": 13 }, item.label));
    const shown = item.value === null ? withheld(item.release || release) : percent ? `${Math.round(item.value * 100)} % (${show(item.numerator, item.release)}/${show(item.denominator, item.release)})` : String(item.value);
    if (item.value !== null && item.value !== undefined) {
      const w = (item.value / top) * (width - left - 160);
      chart.appendChild(svg("rect", { x: left, y, width: Math.max(w, 1), height: rowHeight - 10, fill: COLOURS[i % COLOURS.length] }));
      chart.appendChild(svg("text", { x: left + w + 8, y: y + 18, "font-size": 13, class: "value", "data-indicator": item.name }, shown));
    } else {
      chart.appendChild(svg("text", { x: left, y: y + 18, "font-size": 13, fill: "#a33", class: "value withheld", "data-indicator": item.name }, shown));
    }
  });
  document.getElementById(boxId).replaceChildren(chart);
}

function render() {
  document.documentElement.lang = lang === "sr" ? "sr-Latn" : "en";
  document.querySelectorAll("[data-label]").forEach((node) => {
    node.textContent = t(node.dataset.label).replace("{t}", data ? data.cases.threshold : "5");
  });
  if (!data) return;
  const total = grandRow(data.total);
  const totalNode = document.getElementById("total-cases");
  totalNode.textContent = total ? show(total.count, data.total) : "0";
  drawCases(data.cases);
  drawBars("funnel-chart", FUNNEL.map((name) => {
    const row = grandRow(data.funnel[name]);
    return { name, label: t(name), value: row ? row.count : 0, release: data.funnel[name] };
  }), data.cases, false);
  drawBars("timeliness-chart", TIMELINESS.map((name) => {
    const row = grandRow(data.timeliness[name]);
    return { name, label: t(name), value: row ? row.rate : null, numerator: row && row.numerator, denominator: row && row.denominator, release: data.timeliness[name] };
  }), data.cases, true);
}

async function load() {
  const status = document.getElementById("status");
  status.className = "";
  status.textContent = t("loading");
  try {
    const [total, cases, ...rest] = await Promise.all([
      fetchRelease("reported_cases", "year"),
      fetchRelease("reported_cases", "month,municipality"),
      ...FUNNEL.map((name) => fetchRelease(name, "year")),
      ...TIMELINESS.map((name) => fetchRelease(name, "year")),
    ]);
    data = {
      total,
      cases,
      funnel: Object.fromEntries(FUNNEL.map((name, i) => [name, rest[i]])),
      timeliness: Object.fromEntries(TIMELINESS.map((name, i) => [name, rest[FUNNEL.length + i]])),
    };
    document.getElementById("dashboard").hidden = false;
    document.getElementById("login").hidden = true;
    status.textContent = "";
    document.body.dataset.state = "ready";
    render();
  } catch (error) {
    status.className = "error";
    status.textContent = `${t("failed")}: ${error.message}`;
    document.getElementById("login").hidden = false;
    document.body.dataset.state = "failed";
  }
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
