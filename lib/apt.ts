/** An extra apt repository for a host, like the seed's Erlang/RabbitMQ repositories. */
export interface AptSource {
    /** Names its files: /etc/apt/sources.list.d/burrow-<name>.list and /etc/apt/keyrings/burrow-<name>.asc. */
    name: string;
    uri: string;
    suite: string;
    components: string[];
    /** ASCII-armored signing key, or "" when the host already trusts the suite's key. */
    key: string;
}
