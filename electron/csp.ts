/** The shell uses the one renderer policy defined with the contract (main/api/csp.ts). */
export { CONTENT_SECURITY_POLICY, CSP_META_CONTENT, CSP_META_TAG } from '../main/api/csp.js';
