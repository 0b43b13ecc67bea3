// Verifies VC-JWTs with did-jwt (the reference JavaScript library) against DID documents made by
// registry_core.did. Reads {"jwt": "...", "documents": {"did:ethr:...": {...}}} on stdin and prints
// {"verified": true, "signer": "<verification method id>"} or {"verified": false, "error": "..."}.
import { verifyJWT } from "did-jwt";

let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", async () => {
  const { jwt, documents } = JSON.parse(input);
  const resolver = {
    resolve: async (didUrl) => {
      const did = didUrl.split("#")[0];
      const didDocument = documents[did] ?? null;
      return {
        didResolutionMetadata: didDocument ? { contentType: "application/did+json" } : { error: "notFound" },
        didDocument,
        didDocumentMetadata: {},
      };
    },
  };
  try {
    const result = await verifyJWT(jwt, { resolver, policies: { aud: false } });
    process.stdout.write(JSON.stringify({ verified: true, signer: result.signer.id, issuer: result.issuer }));
  } catch (error) {
    process.stdout.write(JSON.stringify({ verified: false, error: String(error.message || error) }));
  }
});
