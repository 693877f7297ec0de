// Progressive enhancement only: every page works without JavaScript.
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();

// Pages that ask to refresh themselves (report progress) mark it with data-auto-refresh="seconds".
const refresh = document.querySelector("[data-auto-refresh]");
if (refresh) {
  const seconds = Number(refresh.getAttribute("data-auto-refresh")) || 3;
  window.setTimeout(() => window.location.reload(), seconds * 1000);
}
