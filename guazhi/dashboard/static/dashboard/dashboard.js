// 领导看板: draws the charts from the page's JSON (json_script) with ECharts; clicking a bar
// or slice opens the list of records behind it. The tables beside each chart carry the
// same numbers and links, so nothing depends on the charts.
(function () {
  "use strict";
  function draw(el, option, rows) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option);
    chart.on("click", function (params) {
      var row = params.data && params.data.url ? params.data : rows && rows[params.dataIndex];
      if (row && row.url) window.location.href = row.url;
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    var bar = function (rows, color) {
      return {
        grid: { left: 40, right: 10, top: 20, bottom: 30 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: rows.map(function (r) { return r.name; }) },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ type: "bar", data: rows, itemStyle: { color: color }, label: { show: true, position: "top" } }]
      };
    };
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var kind = el.getAttribute("data-chart");
      if (kind === "batches") {
        var cohorts = [];
        data.batches.forEach(function (b) {
          b.cohorts.forEach(function (c) { if (cohorts.indexOf(c.name) < 0) cohorts.push(c.name); });
        });
        cohorts.sort();
        draw(el, {
          grid: { left: 40, right: 10, top: 30, bottom: 30 },
          tooltip: { trigger: "axis" },
          legend: { top: 0 },
          xAxis: { type: "category", data: data.batches.map(function (b) { return b.label; }) },
          yAxis: { type: "value", minInterval: 1 },
          series: cohorts.map(function (name) {
            return {
              name: name, type: "bar", stack: "cohort",
              data: data.batches.map(function (b) {
                var c = b.cohorts.filter(function (x) { return x.name === name; })[0];
                return c ? { value: c.value, url: c.url } : { value: 0, url: b.url };
              })
            };
          })
        });
      } else if (kind === "stages") {
        draw(el, bar(data.stages, "#c0392b"));
      } else if (kind === "grades") {
        draw(el, bar(data.grades, "#2e86c1"));
      } else if (kind === "levels") {
        draw(el, {
          tooltip: { trigger: "item" },
          series: [{ type: "pie", radius: ["40%", "70%"], data: data.levels, label: { formatter: "{b} {c}" } }]
        });
      }
    });
  });
})();
