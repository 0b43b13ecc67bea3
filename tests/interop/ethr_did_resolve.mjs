// Resolves did:ethr DIDs with ethr-did-resolver (the standard did:ethr method implementation) pointed
// at our chain, and optionally verifies a VC-JWT with did-jwt through that resolver.
// Reads {"rpcUrl": "...", "chainId": 52062, "registry": "0x...", "dids": ["did:ethr:..."],
// "jwt": "..."?} on stdin and prints {"resolutions": {"<did>": <DID resolution result>},
// "verification": {"verified": true, "signer": "...", "issuer": "..."} | {"verified": false,
// "error": "..."}} (verification only when a jwt was given).
import { verifyJWT } from "did-jwt";
import { Resolver } from "did-resolver";
import { getResolver } from "ethr-did-resolver";

let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", async () => {
  const { rpcUrl, chainId, registry, dids = [], jwt } = JSON.parse(input);
  const resolver = new Resolver(
    getResolver({ networks: [{ name: `0x${chainId.toString(16)}`, chainId, rpcUrl, registry }] }),
    { cache: false },
  );
  const output = { resolutions: {} };
  for (const did of dids) {
    output.resolutions[did] = await resolver.resolve(did);
  }
  if (jwt) {
    try {
      const result = await verifyJWT(jwt, { resolver, policies: { aud: false } });
      output.verification = { verified: true, signer: result.signer.id, issuer: result.issuer };
    } catch (error) {
      output.verification = { verified: false, error: String(error.message || error) };
    }
  }
  // ethers keeps its provider alive; leave once the answer is written.
  process.stdout.write(JSON.stringify(output), () => process.exit(0));
});
