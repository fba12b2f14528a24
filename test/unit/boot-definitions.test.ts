// The admin user a new node imports at its first boot: RabbitMQ's own salted SHA-256
// password hash (checked against the value RabbitMQ's documentation examples give), and
// never the password itself.
import { describe, expect, it } from "vitest";
import { bootDefinitions, rabbitPasswordHash } from "../../lib/boot-definitions";

describe("rabbitPasswordHash", () => {
    it("matches rabbit_password_hashing_sha256 for a known salt and password", () => {
        expect(rabbitPasswordHash("test12", Buffer.from("908DC60A", "hex"))).toBe(
            "kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR",
        );
    });

    it("salts each hash differently by default", () => {
        expect(rabbitPasswordHash("same")).not.toBe(rabbitPasswordHash("same"));
    });
});

describe("bootDefinitions", () => {
    const doc = JSON.parse(
        bootDefinitions({ username: "admin", password: "s3cret-Pass-word", tags: ["administrator", "monitoring"] }),
    );

    it("declares the default vhost (not created when definitions load at boot) and the admin with its tags", () => {
        expect(doc.vhosts).toEqual([{ name: "/" }]);
        expect(doc.users).toEqual([
            {
                name: "admin",
                password_hash: expect.any(String),
                hashing_algorithm: "rabbit_password_hashing_sha256",
                tags: ["administrator", "monitoring"],
            },
        ]);
    });

    it("holds a hash, never the password", () => {
        expect(JSON.stringify(doc)).not.toContain("s3cret-Pass-word");
    });
});
