// The broker image's versions are read back from its labels by the cache lookup: label
// values with spaces (a locally built package, "4.0.5 (local build)") must come back whole.
// A real image in the real engine, made with `docker import` from an empty tar so no base
// image or registry is involved; its repository is this test's own and removed after.
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { cachedImage } from "../../components/providers/docker-image";

const tag = `burrow-label-check/image:${crypto.randomBytes(4).toString("hex")}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "burrow-label-check-"));

afterAll(() => {
    execFileSync("docker", ["image", "rm", tag], { stdio: "ignore" });
    fs.rmSync(dir, { recursive: true, force: true });
});

describe("the image cache reads its version labels", () => {
    it("keeps label values with spaces and quotes whole", async () => {
        const tar = path.join(dir, "empty.tar");
        execFileSync("tar", ["-cf", tar, "-T", "/dev/null"]);
        const rabbitmq = '4.0.5-1 (local build, "patched")';
        const erlang = "1:27.3.4 with spaces";
        const id = execFileSync(
            "docker",
            [
                "import",
                "--change",
                `LABEL burrow.rabbitmq-server=${JSON.stringify(rabbitmq)} burrow.erlang-base=${JSON.stringify(erlang)}`,
                tar,
                tag,
            ],
            { encoding: "utf8" },
        ).trim();
        expect(await cachedImage(tag)).toEqual({ id, rabbitmq, erlang });
    });

    it("answers undefined for an image that does not exist", async () => {
        expect(await cachedImage(`${tag}-missing`)).toBeUndefined();
    });
});
