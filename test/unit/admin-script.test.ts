// The one `rabbitmqctl eval` that makes the admin user: secrets only as base64 literals,
// guest and a previous admin name removed. Its real run is in every integration test.
import { describe, expect, it } from "vitest";
import { adminScript } from "../../components/providers/rabbitmqctl-admin";

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("adminScript", () => {
    const script = adminScript(
        { username: "admin", password: 'p"w\\<<>>,.', tags: ["administrator", "monitoring"], removeGuest: true },
        ["old-admin"],
    );

    it("carries the password only base64-encoded, whatever characters it has", () => {
        expect(script).not.toContain('p"w');
        expect(script).toContain(`P = base64:decode(<<"${b64('p"w\\<<>>,.')}">>)`);
    });

    it("adds the user or, when it exists, sets its password; then its tags", () => {
        expect(script).toContain("rabbit_auth_backend_internal:add_user(U, P, A)");
        expect(script).toMatch(/user_already_exists.*\n.*change_password\(U, P, A\)/);
        expect(script).toContain("set_tags(U, [administrator, monitoring], A)");
    });

    it("deletes guest and the previous admin name, and ends with the expression's value", () => {
        expect(script).toContain(`delete_user(base64:decode(<<"${b64("guest")}">>), A)`);
        expect(script).toContain(`delete_user(base64:decode(<<"${b64("old-admin")}">>), A)`);
        expect(script.trim().endsWith("Made.")).toBe(true);
    });

    it("keeps guest when asked, and never deletes the admin itself", () => {
        const s = adminScript({ username: "guest", password: "x", tags: ["administrator"], removeGuest: true }, [
            "guest",
        ]);
        expect(s).not.toContain("delete_user");
    });

    it("refuses a tag that is not a plain word (it becomes an Erlang atom)", () => {
        expect(() =>
            adminScript({ username: "a", password: "x", tags: ["admin), evil("], removeGuest: false }),
        ).toThrow("user tag");
    });
});
