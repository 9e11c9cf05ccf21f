/**
 * Self-signed TLS certificates generated at run time, for the loopback SMTP servers of the
 * tests and the sandbox.
 *
 * Nothing is read from or written to disk: every run makes its own key pair. The default
 * certificate (CN=localhost, SAN DNS:localhost + IP:127.0.0.1) is generated once per process
 * and cached, because key generation is the slow part.
 */
import { isIP } from "node:net";
import { generate } from "selfsigned";

export interface TestCertificate {
  /** PEM private key (PKCS#8) */
  key: string;
  /** PEM certificate */
  cert: string;
}

export interface TestCertificateOptions {
  /** subject CN, default "localhost" */
  commonName?: string;
  /**
   * subjectAltName entries; an IPv4/IPv6 literal becomes an IP entry, anything else a DNS entry.
   * Default: ["localhost", "127.0.0.1"] when commonName is not given, otherwise [commonName].
   */
  altNames?: string[];
}

const DEFAULT_COMMON_NAME = "localhost";
const DEFAULT_ALT_NAMES = ["localhost", "127.0.0.1"];

let defaultCertificate: Promise<TestCertificate> | undefined;

/**
 * Generates a self-signed certificate valid from one minute ago (tolerates second truncation
 * and small clock differences) for one day. EC P-256 keys, SHA-256 signature.
 */
export function generateTestCertificate(options: TestCertificateOptions = {}): Promise<TestCertificate> {
  const isDefault = options.commonName === undefined && options.altNames === undefined;
  if (!isDefault) {
    return create(options);
  }
  if (!defaultCertificate) {
    defaultCertificate = create(options);
    // a failed generation must not poison the cache for later tests
    defaultCertificate.catch(() => {
      defaultCertificate = undefined;
    });
  }
  return defaultCertificate;
}

async function create(options: TestCertificateOptions): Promise<TestCertificate> {
  const commonName = options.commonName ?? DEFAULT_COMMON_NAME;
  const altNames = options.altNames ?? (options.commonName === undefined ? DEFAULT_ALT_NAMES : [commonName]);
  const now = Date.now();
  const pems = await generate([{ name: "commonName", value: commonName }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + 24 * 60 * 60 * 1000),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: altNames.map((name) =>
          isIP(name) !== 0 ? { type: 7 as const, ip: name } : { type: 2 as const, value: name },
        ),
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
