// The admin user as RabbitMQ definitions that a new node imports while it boots
// (`load_definitions`): the user exists the moment the broker reports ready, with no
// rabbitmqctl run afterwards, and RabbitMQ then creates no `guest` user at all (it skips
// its default user when definitions are loaded at boot). The file holds a salted hash,
// never the password.
import * as crypto from "crypto";

export interface BootAdmin {
    username: string;
    password: string;
    tags: string[];
}

/** RabbitMQ's rabbit_password_hashing_sha256: base64(salt ++ sha256(salt ++ utf8(password))), 4-byte salt. */
export function rabbitPasswordHash(password: string, salt: Buffer = crypto.randomBytes(4)): string {
    const digest = crypto
        .createHash("sha256")
        .update(Buffer.concat([salt, Buffer.from(password, "utf8")]))
        .digest();
    return Buffer.concat([salt, digest]).toString("base64");
}

/** The definitions document: the default vhost "/" (not created otherwise) and the admin user. */
export function bootDefinitions(admin: BootAdmin, salt?: Buffer): string {
    return (
        JSON.stringify({
            vhosts: [{ name: "/" }],
            users: [
                {
                    name: admin.username,
                    password_hash: rabbitPasswordHash(admin.password, salt),
                    hashing_algorithm: "rabbit_password_hashing_sha256",
                    tags: admin.tags,
                },
            ],
        }) + "\n"
    );
}
