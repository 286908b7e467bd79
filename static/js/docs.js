// Starts the vendored Swagger UI on /docs (kept out of the page: the CSP forbids inline scripts).
const root = document.getElementById("swagger-ui");
window.ui = window.SwaggerUIBundle({ url: root.dataset.openapiUrl, domNode: root, deepLinking: true });
