// The programme section of the coordinator dashboard: the programme's own work (activities by
// kind, participants by kind of institution and sex, agreements in force, services established)
// from GET /v1/programme/report, every month recorded. No person is in it: participants are
// counts. Drawn with the vendored Chart.js like the rest; the tables carry every figure.
"use strict";
// Uses t(), cell(), header() and COLOURS of dashboard.js, and LABELS of dashboard-labels.js.

let programme = null;
const programmeCharts = {};
const SEXES = ["FEMALE", "MALE", "UNKNOWN"];

async function loadProgramme() {
  const answer = await fetch("/v1/programme/report", {
    headers: { Authorization: "Bearer " + sessionStorage.getItem("povezimo-token") },
  });
  if (!answer.ok) throw new Error(`${answer.status}`);
  programme = await answer.json();
  document.getElementById("programme").hidden = false;
  renderProgramme();
  document.body.dataset.programme = "ready";
}

function drawProgramme(id, config) {
  if (programmeCharts[id]) programmeCharts[id].destroy();
  delete programmeCharts[id];
  if (!config || typeof Chart === "undefined") return;
  config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false, indexAxis: "y" }, config.options);
  programmeCharts[id] = new Chart(document.getElementById(id), config);
}

function programmeTable(id, columns, rows) {
  const table = document.getElementById(id);
  table.replaceChildren();
  header(table, columns);
  for (const values of rows) {
    const row = table.insertRow();
    row.appendChild(document.createElement("th")).textContent = values[0];
    values.slice(1).forEach((value) => { cell(row, String(value)).dataset.count = String(value); });
  }
}

function renderProgramme() {
  if (!programme) return;
  const period = programme.from ? `${programme.from} – ${programme.to}` : t("programmeNothing");
  document.getElementById("programme-period").textContent = period;
  const kinds = programme.activities.by_kind;
  drawProgramme("programme-activities-chart", kinds.length ? {
    type: "bar",
    data: { labels: kinds.map((r) => t(r.kind)), datasets: [{ data: kinds.map((r) => r.count), backgroundColor: COLOURS[0] }] },
    options: { plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  } : null);
  programmeTable("programme-activities-table", [t("programmeKind"), t("count")], kinds.map((r) => [t(r.kind), r.count]));
  document.querySelectorAll("#programme-activities-table td").forEach((node, i) => { node.dataset.kind = kinds[i].kind; });

  const people = programme.participants.by_institution_kind_and_sex;
  const institutionKinds = [...new Set(people.map((r) => r.institution_kind))].sort();
  const count = (k, s) => (people.find((r) => r.institution_kind === k && r.sex === s) || { count: 0 }).count;
  drawProgramme("programme-participants-chart", people.length ? {
    type: "bar",
    data: {
      labels: institutionKinds.map((k) => t(k)),
      datasets: SEXES.map((s, i) => ({ label: t(s === "UNKNOWN" ? "unknown" : s), data: institutionKinds.map((k) => count(k, s)), backgroundColor: COLOURS[3 + i] })),
    },
    options: { scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } }, plugins: { legend: { position: "bottom" } } },
  } : null);
  document.getElementById("programme-participants-chart").parentElement.hidden = !people.length;
  document.getElementById("programme-no-participants").hidden = people.length > 0;

  const agreements = programme.agreements;
  const services = programme.services.by_service;
  programmeTable("programme-work-table", [t("programmeWhat"), t("count")], [
    [t("programmeAgreements"), agreements.in_force[0].count],
    [t("programmeMunicipalities"), agreements.municipalities[0].count],
    ...services.map((r) => [t(r.service) + (r.law_offices ? ` (${r.law_offices} ${t("programmeLawOffices")})` : ""), r.count]),
  ]);
  document.body.dataset.programmeCharts = String(Object.keys(programmeCharts).length);
}
