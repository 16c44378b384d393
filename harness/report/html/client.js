// report.html's script (inlined by the html reporter; runs in the browser, after uPlot).
// Draws each [data-chart] element from the chart data in #report-data, shades the fault
// windows on it, and records what it drew: data-points (x values with at least one value)
// and data-fault-windows (each window with its position in CSS pixels).
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var HEIGHT = 230;
  var pending = 0;

  function pointsOf(spec) {
    var n = 0;
    for (var i = 0; i < spec.x.length; i++) {
      for (var j = 0; j < spec.series.length; j++) {
        var v = spec.series[j].values[i];
        if (v !== null && v !== undefined) {
          n++;
          break;
        }
      }
    }
    return n;
  }

  /** '#rrggbb' with an alpha */
  function rgba(hex, alpha) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + ((n >> 16) & 255) + ', ' + ((n >> 8) & 255) + ', ' + (n & 255) + ', ' + alpha + ')';
  }

  function faultPlugin(spec, el) {
    var ratio = uPlot.pxRatio;
    function span(u, f) {
      var left = u.bbox.left;
      var right = u.bbox.left + u.bbox.width;
      var x0 = Math.max(left, Math.min(right, u.valToPos(f.from, 'x', true)));
      var x1 = Math.max(left, Math.min(right, u.valToPos(f.to, 'x', true)));
      // a window shorter than a pixel still shows
      if (x1 - x0 < 2 * ratio) x1 = Math.min(right, x0 + 2 * ratio);
      return [x0, x1];
    }
    return {
      hooks: {
        drawClear: [
          function (u) {
            var ctx = u.ctx;
            ctx.save();
            spec.faults.forEach(function (f) {
              var s = span(u, f);
              ctx.fillStyle = rgba(f.color || '#d62728', f.open ? 0.1 : 0.16);
              ctx.fillRect(s[0], u.bbox.top, s[1] - s[0], u.bbox.height);
            });
            ctx.restore();
          },
        ],
        draw: [
          function (u) {
            var ctx = u.ctx;
            var placed = [];
            ctx.save();
            ctx.font = Math.round(11 * ratio) + 'px sans-serif';
            ctx.textAlign = 'left';
            ctx.textBaseline = 'top';
            spec.faults.forEach(function (f, i) {
              var s = span(u, f);
              ctx.strokeStyle = rgba(f.color || '#d62728', 0.7);
              ctx.lineWidth = ratio;
              ctx.beginPath();
              ctx.moveTo(s[0], u.bbox.top);
              ctx.lineTo(s[0], u.bbox.top + u.bbox.height);
              ctx.stroke();
              ctx.fillStyle = f.color ? rgba(f.color, 1) : 'rgb(150, 20, 20)';
              var y = u.bbox.top + 2 * ratio + (i % 3) * 13 * ratio;
              var text = f.label + (f.open ? ' (not healed)' : '');
              // a label that would run past the plot ends at its right edge
              var tx = Math.max(u.bbox.left, Math.min(s[0] + 3 * ratio, u.bbox.left + u.bbox.width - ctx.measureText(text).width - 3 * ratio));
              ctx.fillText(text, tx, y);
              placed.push({
                from: f.from,
                to: f.to,
                label: f.label,
                action: f.action,
                open: f.open,
                profile: f.profile,
                color: f.color,
                x0: Math.round(s[0] / ratio),
                x1: Math.round(s[1] / ratio),
              });
            });
            ctx.restore();
            el.setAttribute('data-fault-windows', JSON.stringify(placed));
          },
        ],
      },
    };
  }

  function draw(el) {
    var key = el.getAttribute('data-chart');
    var spec = data.charts[key];
    if (!spec) {
      console.error('report: no data for chart ' + key);
      return;
    }
    var series = [{ label: 'time (s)' }];
    spec.series.forEach(function (s) {
      series.push({
        label: s.label,
        stroke: s.color,
        width: 1.5,
        spanGaps: false,
        points: { show: spec.x.length < 3 },
        paths: s.step ? uPlot.paths.stepped({ align: 1 }) : undefined,
      });
    });
    var points = pointsOf(spec);
    var opts = {
      title: spec.title,
      width: Math.max(320, el.clientWidth || 800),
      height: HEIGHT,
      scales: {
        x: { time: false, range: [spec.xMin, spec.xMax] },
        // every series counts something: from 0, with room above the largest value
        y: {
          range: function (u, min, max) {
            var top = max === null || max <= 0 ? 1 : spec.integer ? max + Math.max(0.5, max * 0.08) : max * 1.08;
            return [Math.min(0, min === null ? 0 : min), top];
          },
        },
      },
      axes: [
        {
          label: 'seconds from the workload start',
          values: function (u, vals) {
            return vals.map(function (v) {
              return v + ' s';
            });
          },
        },
        spec.integer ? { label: spec.yLabel, size: 60, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] } : { label: spec.yLabel, size: 60 },
      ],
      series: series,
      plugins: [faultPlugin(spec, el)],
      hooks: {
        draw: [
          function () {
            if (!el.hasAttribute('data-points')) {
              el.setAttribute('data-points', String(points));
              pending--;
              if (pending === 0) document.body.setAttribute('data-charts-drawn', String(document.querySelectorAll('[data-chart][data-points]').length));
            }
          },
        ],
      },
    };
    var columns = [spec.x].concat(
      spec.series.map(function (s) {
        return s.values;
      }),
    );
    var chart;
    pending++;
    try {
      chart = new uPlot(opts, columns, el);
    } catch (err) {
      pending--;
      throw err;
    }
    charts.push({ chart: chart, el: el });
  }

  var charts = [];
  document.querySelectorAll('[data-chart]').forEach(function (el) {
    try {
      draw(el);
    } catch (err) {
      el.setAttribute('data-error', String(err));
      console.error('report: chart ' + el.getAttribute('data-chart') + ' could not be drawn: ' + err);
    }
  });
  if (charts.length === 0) document.body.setAttribute('data-charts-drawn', '0');

  var resizeTimer;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      charts.forEach(function (c) {
        c.chart.setSize({ width: Math.max(320, c.el.clientWidth || 800), height: HEIGHT });
      });
    }, 150);
  });
})();
