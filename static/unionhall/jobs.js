// A job's page follows the job: its status, step, done/total, rate and time left, refreshed
// every second until it ends; then the outcome (reloading once shows errors and links).
(function () {
  const box = document.querySelector("[data-job-status]");
  if (!box) return;
  const url = box.getAttribute("data-job-status");
  const $ = (selector) => box.querySelector(selector);
  const number = (n) => n.toLocaleString();

  function show(job) {
    $(".job-status").textContent = job.status_label;
    $(".job-step").textContent = job.step || "";
    const bar = $(".job-bar");
    if (job.percent === null) bar.removeAttribute("value"); else bar.value = job.percent;
    let text = "";
    if (job.total) text = number(job.done) + " of " + number(job.total);
    else if (job.done) text = number(job.done) + " done";
    if (job.rate_per_second) text += " · " + number(job.rate_per_second) + " a second";
    if (job.seconds_left !== null) text += " · about " + number(job.seconds_left) + " s left";
    $(".job-numbers").textContent = text;
    const error = $(".job-error");
    error.hidden = !job.error;
    error.textContent = job.error || "";
    $(".job-download").hidden = !job.download_url;
    $(".job-retry").hidden = !job.retryable;
  }

  // Rendered while the job ran: once it ends, reload once to show its outcome.
  let wasActive = box.getAttribute("data-job-active") === "true";
  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return setTimeout(poll, 3000);
      const job = await response.json();
      show(job);
      if (!job.finished) { wasActive = true; return setTimeout(poll, 1000); }
      if (wasActive) window.location.reload(); // the outcome, its errors and links
    } catch (e) {
      setTimeout(poll, 3000);
    }
  }
  poll();
})();
