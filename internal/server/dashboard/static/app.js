// secpipe dashboard: live log tails, live execution pages and filters
// that apply on change. Loaded as an external script (the page's CSP
// allows no inline script).
"use strict";

(function () {
  var ansi = /\x1b\[[0-9;?]*[ -\/]*[@-~]/g;

  // followLog appends what the log stream sends to the <pre> and marks the
  // action's final status when the stream ends.
  function followLog(pre) {
    var status = document.getElementById("log-status");
    var source = new EventSource(pre.dataset.stream);
    source.onmessage = function (e) {
      var end = document.documentElement;
      var atBottom = window.innerHeight + window.scrollY >= end.scrollHeight - 40;
      pre.appendChild(document.createTextNode(JSON.parse(e.data).replace(ansi, "")));
      if (atBottom) {
        window.scrollTo(0, end.scrollHeight);
      }
    };
    source.addEventListener("end", function (e) {
      source.close();
      var st = JSON.parse(e.data);
      if (status) {
        status.textContent = st;
        status.className = "st " + (st === "succeeded" ? "st-ok" : st === "failed" ? "st-fail" : "st-other");
      }
      pre.dataset.ended = st;
    });
  }

  // followExecution reloads the execution page when what it shows changes,
  // unless someone is typing a reason: then it offers a reload instead.
  function followExecution(el) {
    var source = new EventSource(el.dataset.events);
    var timer = null;
    function refresh() {
      source.close();
      if (timer) {
        return;
      }
      timer = window.setTimeout(function () {
        var typing = Array.prototype.some.call(document.querySelectorAll("input[name=reason]"), function (i) {
          return i.value !== "" || i === document.activeElement;
        });
        if (typing) {
          document.getElementById("stale").hidden = false;
        } else {
          window.location.reload();
        }
      }, 300);
    }
    source.addEventListener("change", refresh);
    source.addEventListener("end", refresh);
  }

  function start() {
    var pre = document.querySelector("pre[data-stream]");
    if (pre) {
      followLog(pre);
    }
    var exec = document.querySelector("[data-events]");
    if (exec) {
      followExecution(exec);
    }
    document.querySelectorAll("form.autosubmit select").forEach(function (sel) {
      sel.addEventListener("change", function () {
        sel.form.requestSubmit();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
