// A job's page follows the job: its status, step, counts, rate and time left, refreshed every
// second until it ends; then the page reloads once, and the server shows how it ended (its
// outcome, its error, its file, the way back), as it does for anyone opening it later.
(function () {
  const box = document.querySelector("[data-job-status]");
  if (!box) return;
  const url = box.getAttribute("data-job-status");
  const $ = (selector) => box.querySelector(selector);
  const number = (n) => n.toLocaleString();
  const setText = (selector, text) => { const el = $(selector); if (el) el.textContent = text; };

  function show(job) {
    setText(".job-status", job.status_label);
    setText(".job-step", job.finished ? "" : job.step || "");
    const bar = $(".job-bar");
    if (bar) { if (job.percent === null) bar.removeAttribute("value"); else bar.value = job.percent; }
    // The counts as the server words them: never more done than the total shows.
    let text = job.numbers || "";
    if (!job.finished && job.rate_per_second) text += " · " + number(job.rate_per_second) + " a second";
    if (job.seconds_left !== null) text += " · about " + number(job.seconds_left) + " s left";
    setText(".job-numbers", text);
    const retry = $(".job-retry");
    if (retry) retry.hidden = !job.retryable;
  }

  let wasActive = box.getAttribute("data-job-active") === "true";
  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return setTimeout(poll, 3000);
      const job = await response.json();
      show(job);
      if (!job.finished) { wasActive = true; return setTimeout(poll, 1000); }
      if (wasActive) window.location.reload();
    } catch (e) {
      setTimeout(poll, 3000);
    }
  }
  poll();
})();
