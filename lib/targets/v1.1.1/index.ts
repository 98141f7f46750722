// cert-manager v1.1.1 (the newest on Kubernetes 1.15, legacy CRDs cert-manager.io/v1 only) as a target.
import type { CertManagerTarget } from "../target";
import { convertBackup, renderConversion } from "./convert";
import { renameIngressMetadata, renameSecretMetadata } from "./metadata";
import { predictReissueV111 } from "./reissue";
import { validateV111 } from "./validation";

export const targetV111: CertManagerTarget = {
  version: "v1.1.1",
  crdGroups: { certmanager: "cert-manager.io/v1", acme: "acme.cert-manager.io/v1" },
  convert: convertBackup,
  validate: validateV111,
  renameSecretMetadata,
  renameIngressMetadata,
  predictReissue: predictReissueV111,
  renderConversion,
};

export { convertBackup, convertCertificate, convertIssuer, renderConversion } from "./convert";
export { renameIngressMetadata, renameSecretMetadata } from "./metadata";
export { describePredictionV111, predictReissueV111 } from "./reissue";
export { validateV111, validateV111Errors } from "./validation";
