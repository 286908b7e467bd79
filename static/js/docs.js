// Starts the vendored Swagger UI on /docs (kept out of the page: the CSP forbids inline scripts).
// "Try it out" runs in this browser with its cookies, so it sends this page's CSRF token like the lesson page does.
const root = document.getElementById("swagger-ui");
const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
window.ui = window.SwaggerUIBundle({
  url: root.dataset.openapiUrl, domNode: root, deepLinking: true,
  requestInterceptor: (request) => { request.headers["X-CSRF-Token"] = csrfToken; return request; },
});
