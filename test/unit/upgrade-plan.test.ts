// The upgrade planner: what a change of the release (or base image, or SSH version pin) does,
// decided without a broker. Versions as Debian spells them, as the broker image's labels hold them.
import { describe, expect, it } from "vitest";
import { generationOf, parseRabbitmqVersion, planUpgrade, seriesOf } from "../../lib/upgrade-plan";

const bookworm = { version: "3.10.8-1.1+deb12u1", release: "bookworm", baseImage: "burrow/debian:bookworm" };
const trixie = { version: "4.0.5-6+deb13u2", release: "trixie", baseImage: "burrow/debian:trixie" };
const forky = { version: "4.3.6-1", release: "forky", baseImage: "burrow/debian:forky" };

describe("parseRabbitmqVersion", () => {
    it("reads the upstream version out of Debian's package versions", () => {
        expect(parseRabbitmqVersion("3.10.8-1.1+deb12u1")).toEqual([3, 10, 8]);
        expect(parseRabbitmqVersion("4.0.5-6+deb13u2")).toEqual([4, 0, 5]);
        expect(parseRabbitmqVersion("1:4.3.6-1")).toEqual([4, 3, 6]);
        expect(parseRabbitmqVersion("4.0")).toEqual([4, 0, 0]);
        expect(seriesOf("3.10.8-1.1")).toBe("3.10");
        expect(generationOf("4.3.6-1")).toBe("-v4.3");
        expect(() => parseRabbitmqVersion("latest")).toThrow(/not a RabbitMQ version/);
    });
});

describe("planUpgrade", () => {
    it("a new broker, or the same version: nothing to plan", () => {
        expect(planUpgrade({ target: "docker", to: trixie }).kind).toBe("none");
        expect(planUpgrade({ target: "docker", from: trixie, to: { ...trixie, version: "4.0.5" } })).toMatchObject({
            kind: "none",
            message: "",
        });
    });

    it("a newer series is blue-green: bookworm -> trixie and trixie -> forky", () => {
        const a = planUpgrade({ target: "docker", from: bookworm, to: trixie });
        expect(a).toMatchObject({ kind: "blue-green", from: "3.10.8", to: "4.0.5", key: "burrow:debianRelease" });
        expect(a.message).toMatch(/^burrow:debianRelease bookworm -> trixie: RabbitMQ 3.10.8 -> 4.0.5 is a new series/);
        expect(a.message).toMatch(/password hashes/);
        expect(a.message).toMatch(/shovels/);
        const b = planUpgrade({ target: "docker", from: trixie, to: forky });
        expect(b).toMatchObject({ kind: "blue-green", from: "4.0.5", to: "4.3.6" });
        // Even the jump RabbitMQ could do in place from the previous series: burrow moves series blue-green.
        expect(planUpgrade({ target: "docker", from: { version: "4.2.1" }, to: { version: "4.3.6" } }).kind).toBe(
            "blue-green",
        );
    });

    it("a point release of the same series is in place, with its checks named", () => {
        const p = planUpgrade({ target: "docker", from: trixie, to: { ...trixie, version: "4.0.9-1" } });
        expect(p).toMatchObject({ kind: "in place", from: "4.0.5", to: "4.0.9" });
        expect(p.message).toMatch(/feature flag/);
        expect(p.message).toMatch(/quorum \+ 1/);
        expect(p.message).toMatch(/drained/);
    });

    it("a downgrade is refused, naming the key, the versions and why", () => {
        const p = planUpgrade({ target: "docker", from: trixie, to: bookworm });
        expect(p).toMatchObject({ kind: "refused", from: "4.0.5", to: "3.10.8", key: "burrow:debianRelease" });
        expect(p.message).toMatch(/^burrow:debianRelease trixie -> bookworm is refused/);
        expect(p.message).toMatch(/data written by a newer RabbitMQ cannot be read by an older one/);
        expect(p.message).toMatch(/config set burrow:debianRelease trixie/);
        // Within a series too.
        expect(planUpgrade({ target: "docker", from: { version: "4.0.6" }, to: trixie }).kind).toBe("refused");
    });

    it("names the base image when only it changed, and says when the version is assumed", () => {
        const p = planUpgrade({
            target: "docker",
            from: trixie,
            to: { version: "4.3.6", release: "trixie", baseImage: "mine/forky-ish", assumed: true },
        });
        expect(p.key).toBe("burrow:baseImage");
        expect(p.message).toMatch(/^burrow:baseImage burrow\/debian:trixie -> mine\/forky-ish/);
        expect(p.message).toMatch(/read from the image once it is built/);
    });

    it("SSH hosts: a new series is refused with the manual steps; a point release is in place", () => {
        const p = planUpgrade({ target: "ssh", from: { version: "4.0.5" }, to: { version: "4.3.6" } });
        expect(p).toMatchObject({ kind: "refused", key: "burrow:rabbitmqVersion" });
        expect(p.message).toMatch(/Docker target only/);
        expect(p.message).toMatch(/export_definitions/);
        const inPlace = planUpgrade({ target: "ssh", from: { version: "4.0.5" }, to: { version: "4.0.6" } });
        expect(inPlace.kind).toBe("in place");
        expect(inPlace.message).toMatch(/by apt on each host in turn/);
    });
});
