// Dynamic provider: a CA made by the stack and a server certificate it signs, for the
// broker's AMQPS (5671) and HTTPS management (15671) listeners. The CA's certificate is
// an output clients use to verify the broker; private keys are secret outputs.
import * as pulumi from "@pulumi/pulumi";
import { DynamicResource, changedInputs, providerIn, userFacingProvider } from "../../lib/dynamic-resource";
import type * as Forge from "node-forge";
// Loaded when certificates are made (in the provider plugin), not on every program start.
const forge = (): typeof Forge => require("node-forge");

export interface TlsCertificatesInputs {
    /** Names the server certificate is valid for (DNS names). */
    hostnames: string[];
    /** IP addresses it is valid for. */
    ipAddresses: string[];
    validityDays: number;
}

export interface TlsCertificatesOutputs extends TlsCertificatesInputs {
    caCert: string;
    serverCert: string;
    serverKey: string;
}

function certificate(subject: string, publicKey: Forge.pki.PublicKey, days: number) {
    const cert = forge().pki.createCertificate();
    cert.publicKey = publicKey;
    cert.serialNumber = "01" + forge().util.bytesToHex(forge().random.getBytesSync(15));
    cert.validity.notBefore = new Date(Date.now() - 60_000);
    cert.validity.notAfter = new Date(Date.now() + days * 86_400_000);
    cert.setSubject([
        { name: "commonName", value: subject },
        { name: "organizationName", value: "burrow" },
    ]);
    return cert;
}

function issue(inputs: TlsCertificatesInputs): TlsCertificatesOutputs {
    const caKeys = forge().pki.rsa.generateKeyPair(2048);
    const ca = certificate("burrow stack CA", caKeys.publicKey, inputs.validityDays);
    ca.setIssuer(ca.subject.attributes);
    ca.setExtensions([
        { name: "basicConstraints", cA: true, critical: true },
        { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    ]);
    ca.sign(caKeys.privateKey, forge().md.sha256.create());

    const keys = forge().pki.rsa.generateKeyPair(2048);
    const server = certificate(inputs.hostnames[0] ?? "localhost", keys.publicKey, inputs.validityDays);
    server.setIssuer(ca.subject.attributes);
    server.setExtensions([
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
        { name: "extKeyUsage", serverAuth: true },
        {
            name: "subjectAltName",
            altNames: [
                ...inputs.hostnames.map((value) => ({ type: 2, value })),
                ...inputs.ipAddresses.map((ip) => ({ type: 7, ip })),
            ],
        },
    ]);
    server.sign(caKeys.privateKey, forge().md.sha256.create());
    return {
        ...inputs,
        caCert: forge().pki.certificateToPem(ca),
        serverCert: forge().pki.certificateToPem(server),
        serverKey: forge().pki.privateKeyToPem(keys.privateKey),
    };
}

export const tlsCertificatesProvider: pulumi.dynamic.ResourceProvider<TlsCertificatesInputs, TlsCertificatesOutputs> =
    userFacingProvider({
        async create(inputs) {
            const outs = issue(inputs);
            return { id: forge().util.bytesToHex(forge().random.getBytesSync(8)), outs };
        },
        async diff(_id, olds, news) {
            const replaces = changedInputs(olds, news);
            return { changes: replaces.length > 0, replaces };
        },
    });

export class TlsCertificates extends DynamicResource {
    declare readonly caCert: pulumi.Output<string>;
    declare readonly serverCert: pulumi.Output<string>;
    declare readonly serverKey: pulumi.Output<string>;
    constructor(
        name: string,
        args: { [K in keyof TlsCertificatesInputs]: pulumi.Input<TlsCertificatesInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(
            providerIn(__filename, { tlsCertificatesProvider }),
            "TlsCertificates",
            name,
            { ...args, caCert: undefined, serverCert: undefined, serverKey: undefined },
            { ...opts, additionalSecretOutputs: ["serverKey"] },
        );
    }
}
