"use strict";
// ReDoc for the API's own OpenAPI document. ReDoc injects its styles as <style> elements; they
// carry this script's nonce, which the page's Content-Security-Policy allows for styles.
const container = document.getElementById("redoc");
Redoc.init(container.dataset.openapiUrl, {nonce: document.currentScript.nonce}, container);
