// Lets GOV.UK Frontend style for JavaScript before the module loads (an external file: no inline scripts under our CSP).
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
