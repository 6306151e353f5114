internal import GRDB

/// The database schema as named migrations. A migration is never edited once released: change the schema
/// by adding a migration after the last one.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: organisations, trunks, numbers, configurations, platform profile") { db in
            try db.create(table: "organisation") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull()
                t.column("sip_entitled", .boolean).notNull().defaults(to: false)
                t.column("created_at", .datetime).notNull()
            }
            try db.create(table: "trunk") { t in
                t.primaryKey("id", .text)
                t.column("org_id", .text).notNull().indexed().references("organisation", onDelete: .cascade)
                t.column("name", .text).notNull()
                // The provider catalog entry chosen in the wizard (asterisk, 3cx, twilio, ...).
                t.column("provider", .text)
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
            }
            try db.create(table: "phone_number") { t in
                t.primaryKey("number", .text)
                t.column("org_id", .text).notNull().indexed().references("organisation", onDelete: .cascade)
                t.column("created_at", .datetime).notNull()
            }
            // One SIP configuration of a number in one direction (the guide allows up to 10 per number).
            try db.create(table: "sip_configuration") { t in
                t.primaryKey("id", .text)
                t.column("number", .text).notNull().indexed().references("phone_number", onDelete: .cascade)
                t.column("trunk_id", .text).notNull().indexed().references("trunk", onDelete: .cascade)
                t.column("direction", .text).notNull().check { ["inbound", "outbound"].contains($0) }
                t.column("sip_endpoint", .text)
                t.column("port", .integer).check { $0 == nil || ($0 >= 1 && $0 <= 65535) }
                t.column("transport", .text).check { $0 == nil || ["udp", "tcp", "tls"].contains($0) }
                t.column("secure_media", .boolean).notNull().defaults(to: true)
                t.column("custom_headers", .jsonText).notNull().defaults(to: "[]")
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
            }
            try db.create(table: "authentication") { t in
                t.primaryKey("config_id", .text).references("sip_configuration", onDelete: .cascade)
                t.column("mode", .text).notNull().check { ["ip", "register"].contains($0) }
                t.column("username", .text)
                // `derived`: re-derived from the installation secret when needed, never stored.
                // `provided`: the password the user gave, stored for the REGISTER client.
                t.column("password_source", .text).check { $0 == nil || ["derived", "provided"].contains($0) }
                t.column("provided_password", .text)
                // Credentials for digest challenges from the user's PBX on outbound calls.
                t.column("outbound_username", .text)
                t.column("outbound_password", .text)
            }
            try db.create(table: "outbound_endpoint") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("config_id", .text).notNull().indexed().references("sip_configuration", onDelete: .cascade)
                t.column("priority", .integer).notNull().check { $0 >= 1 && $0 <= 3 }
                t.column("host", .text).notNull()
                t.column("port", .integer).check { $0 == nil || ($0 >= 1 && $0 <= 65535) }
                t.column("transport", .text).check { $0 == nil || ["udp", "tcp", "tls"].contains($0) }
                t.uniqueKey(["config_id", "priority"])
            }
            try db.create(table: "failover_config") { t in
                t.primaryKey("config_id", .text).references("sip_configuration", onDelete: .cascade)
                t.column("enabled", .boolean).notNull().defaults(to: false)
                t.column("triggers", .jsonText).notNull().defaults(to: "[]")
                t.column("failback", .text).notNull().defaults(to: "auto").check { ["auto", "manual"].contains($0) }
            }
            try db.create(table: "codec_config") { t in
                t.primaryKey("config_id", .text).references("sip_configuration", onDelete: .cascade)
                // Ordered list of {name, enabled}.
                t.column("codecs", .jsonText).notNull()
                t.column("transcode", .boolean).notNull().defaults(to: false)
            }
            try db.create(table: "alert_config") { t in
                t.primaryKey("config_id", .text).references("sip_configuration", onDelete: .cascade)
                t.column("enabled", .boolean).notNull().defaults(to: false)
                t.column("unreachable_minutes", .integer)
                t.column("failure_rate_percent", .integer)
                t.column("failure_rate_window_minutes", .integer)
                t.column("response_time_ms", .integer)
                t.column("email", .text)
                t.column("sms", .text)
                t.column("webhook", .text)
            }
            // The platform side of the guide: this deployment's regions, addresses and ports.
            try db.create(table: "region") { t in
                t.primaryKey("name", .text)
                t.column("is_default", .boolean).notNull().defaults(to: false)
                t.column("signalling_hosts", .jsonText).notNull()
                t.column("egress_ipv4", .jsonText).notNull()
                t.column("egress_ipv6", .jsonText).notNull()
                t.column("udp_port", .integer)
                t.column("tcp_port", .integer)
                t.column("tls_port", .integer).notNull()
                t.column("rtp_port_min", .integer).notNull()
                t.column("rtp_port_max", .integer).notNull()
                t.check(sql: "rtp_port_min <= rtp_port_max")
            }
            try db.create(table: "installation_secret") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("secret", .blob).notNull()
                t.column("created_at", .datetime).notNull()
            }
            try db.create(table: "api_key") { t in
                t.primaryKey("id", .text)
                t.column("org_id", .text).notNull().indexed().references("organisation", onDelete: .cascade)
                // SHA-256 of the key; the key itself is shown once and never stored.
                t.column("key_hash", .text).notNull().unique()
                t.column("created_at", .datetime).notNull()
                t.column("revoked_at", .datetime)
            }
        }

        migrator.registerMigration("v1: discovery, test calls, traces, call logs, health") { db in
            try db.create(table: "discovery_run") { t in
                t.primaryKey("id", .text)
                t.column("org_id", .text).notNull().indexed().references("organisation", onDelete: .cascade)
                t.column("host", .text).notNull()
                t.column("status", .text).notNull().check { ["running", "completed", "failed"].contains($0) }
                t.column("resolved_addresses", .jsonText).notNull().defaults(to: "[]")
                t.column("srv_records", .jsonText).notNull().defaults(to: "[]")
                t.column("recommended", .jsonText)
                t.column("started_at", .datetime).notNull()
                t.column("completed_at", .datetime)
            }
            try db.create(table: "discovery_attempt") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("discovery_id", .text).notNull().indexed().references("discovery_run", onDelete: .cascade)
                t.column("address", .text)
                t.column("port", .integer).notNull()
                t.column("transport", .text).notNull()
                t.column("response_time_ms", .double)
                t.column("response_code", .integer)
                t.column("user_agent", .text)
                t.column("error_kind", .text)
                t.column("error_message", .text)
                t.column("error_remedy", .text)
            }
            try db.create(table: "test_call") { t in
                t.primaryKey("call_id", .text)
                t.column("org_id", .text).notNull().indexed().references("organisation", onDelete: .cascade)
                t.column("number", .text).notNull()
                t.column("direction", .text).notNull()
                t.column("status", .text).notNull()
                t.column("result", .text).notNull()
                t.column("duration_seconds", .double)
                t.column("media_report", .jsonText)
                t.column("created_at", .datetime).notNull().indexed()
            }
            try db.create(table: "test_call_event") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("call_id", .text).notNull().indexed().references("test_call", onDelete: .cascade)
                t.column("event", .text).notNull()
                t.column("at", .datetime).notNull()
                t.column("detail", .text)
            }
            try db.create(table: "trace_message") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("sip_call_id", .text).notNull().indexed()
                t.column("monotonic_ns", .integer).notNull()
                t.column("wall_time", .datetime).notNull()
                t.column("direction", .text).notNull().check { ["sent", "received"].contains($0) }
                t.column("transport", .text).notNull()
                t.column("local_address", .text).notNull()
                t.column("remote_address", .text).notNull()
                t.column("raw", .blob).notNull()
            }
            try db.create(table: "call_log") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("call_id", .text).notNull().unique()
                t.column("number", .text).notNull()
                t.column("direction", .text).notNull()
                t.column("from_uri", .text)
                t.column("to_uri", .text)
                t.column("status", .text).notNull()
                t.column("sip_code", .integer)
                t.column("duration_seconds", .double)
                t.column("started_at", .datetime).notNull()
                t.column("ended_at", .datetime)
                t.column("source_ip", .text)
            }
            // Keyset pagination walks (number, started_at DESC, id DESC).
            try db.create(index: "call_log_page", on: "call_log", columns: ["number", "started_at", "id"])
            try db.create(table: "health_sample") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("config_id", .text).notNull().references("sip_configuration", onDelete: .cascade)
                t.column("checked_at", .datetime).notNull()
                t.column("outcome", .text).notNull()
                t.column("response_code", .integer)
                t.column("response_time_ms", .double)
            }
            try db.create(index: "health_sample_by_config", on: "health_sample", columns: ["config_id", "checked_at"])
        }

        migrator.registerMigration("v1: number porting") { db in
            try db.create(table: "port_document") { t in
                t.primaryKey("document_sid", .text)
                t.column("org_id", .text).notNull().references("organisation", onDelete: .cascade)
                t.column("file_name", .text).notNull()
                t.column("media_type", .text).notNull()
                t.column("bytes", .blob).notNull()
                t.column("created_at", .datetime).notNull()
            }
            try db.create(table: "port_request") { t in
                t.primaryKey("id", .text)
                t.column("org_id", .text).notNull().indexed().references("organisation", onDelete: .cascade)
                t.column("status", .text).notNull().check {
                    ["waiting_for_signature", "submitted", "in_progress", "completed", "canceled", "failed"].contains($0)
                }
                t.column("losing_carrier_information", .jsonText).notNull()
                t.column("target_port_date", .date).notNull()
                t.column("documents", .jsonText).notNull().defaults(to: "[]")
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
            }
            try db.create(table: "port_request_number") { t in
                t.column("port_request_id", .text).notNull().references("port_request", onDelete: .cascade)
                t.column("number", .text).notNull()
                t.column("status", .text).notNull()
                t.primaryKey(["port_request_id", "number"])
            }
            try db.create(table: "port_request_status_history") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("port_request_id", .text).notNull().indexed().references("port_request", onDelete: .cascade)
                t.column("status", .text).notNull()
                t.column("at", .datetime).notNull()
                t.column("note", .text)
            }
        }
        migrator.registerMigration("v2: registration state") { db in
            // The REGISTER client's latest state per trunk, for the dashboard (one row, replaced on each change).
            try db.create(table: "registration_state") { t in
                t.primaryKey("trunk_id", .text).references("trunk", onDelete: .cascade)
                t.column("registrar", .text).notNull()
                t.column("username", .text).notNull()
                t.column("state", .text).notNull().check { ["registering", "registered", "failed", "stopped"].contains($0) }
                t.column("expires_at", .datetime)
                t.column("last_error", .text)
                t.column("registrations", .integer).notNull().defaults(to: 0)
                t.column("updated_at", .datetime).notNull()
            }
        }
        migrator.registerMigration("v3: set-up wizard draft") { db in
            // The wizard's progress as JSON, so a wizard quit half-way resumes (one per organisation).
            try db.create(table: "wizard_draft") { t in
                t.primaryKey("org_id", .text).references("organisation", onDelete: .cascade)
                t.column("data", .text).notNull()
                t.column("updated_at", .datetime).notNull()
            }
        }
        migrator.registerMigration("v4: health state and hourly roll-up") { db in
            try db.alter(table: "health_sample") { t in
                t.add(column: "message", .text)
                t.add(column: "remedy", .text)
            }
            // Each monitored endpoint's current state, shared by the monitor and every screen reading it.
            try db.create(table: "health_state") { t in
                t.primaryKey("config_id", .text).references("sip_configuration", onDelete: .cascade)
                t.column("state", .text).notNull().check { ["healthy", "degraded", "unreachable", "unchecked"].contains($0) }
                t.column("failures", .integer).notNull().defaults(to: 0)
                t.column("successes", .integer).notNull().defaults(to: 0)
                t.column("since", .datetime).notNull()
                t.column("last_outcome", .text)
                t.column("last_message", .text)
                t.column("last_remedy", .text)
                t.column("updated_at", .datetime).notNull()
            }
            // Samples older than the raw window, summed per hour so uptime over 7 days stays exact.
            try db.create(table: "health_hourly") { t in
                t.column("config_id", .text).notNull().references("sip_configuration", onDelete: .cascade)
                t.column("hour", .datetime).notNull()
                t.column("probes", .integer).notNull()
                t.column("answered", .integer).notNull()
                t.column("response_time_sum_ms", .double).notNull()
                t.column("response_time_count", .integer).notNull()
                t.primaryKey(["config_id", "hour"])
            }
        }
        migrator.registerMigration("v5: monitor heartbeat") { db in
            // Which process monitors health, so a dashboard starts its own monitor only when none runs.
            try db.create(table: "monitor_heartbeat") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("owner", .text).notNull()
                t.column("at", .datetime).notNull()
            }
        }
        migrator.registerMigration("v6: test call SIP Call-ID") { db in
            // An inbound test call's record is made before its INVITE arrives; its trace is under the INVITE's Call-ID.
            try db.alter(table: "test_call") { t in t.add(column: "sip_call_id", .text) }
        }
        migrator.registerMigration("v7: monitor heartbeat process") { db in
            // Which process beats (id, start time, host), so a dead monitor is replaced at once, not after minutes.
            try db.alter(table: "monitor_heartbeat") { t in
                t.add(column: "pid", .integer)
                t.add(column: "process_started", .text)
                t.add(column: "host", .text)
            }
        }
        migrator.registerMigration("v8: API key names") { db in
            // `siptrunk serve`'s keys (issue 17) use v1's api_key table (the SHA-256 of the key in key_hash); a key
            // is listed and revoked by its id and the name given when it was made.
            try db.alter(table: "api_key") { t in t.add(column: "name", .text).notNull().defaults(to: "") }
        }
        migrator.registerMigration("v9: captured calls") { db in
            // Calls from the wire (issue 16): the set-up time of each call, the trace pruned by age (an index on the
            // time), and each capture source's counters (received, stored, skipped, dropped by the kernel).
            try db.alter(table: "call_log") { t in t.add(column: "setup_ms", .double) }
            try db.create(index: "trace_message_by_time", on: "trace_message", columns: ["wall_time"])
            try db.create(index: "call_log_by_start", on: "call_log", columns: ["started_at"])
            try db.create(table: "capture_source") { t in
                t.primaryKey("id", .text)
                t.column("kind", .text).notNull()
                t.column("started_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
                t.column("received", .integer).notNull().defaults(to: 0)
                t.column("stored", .integer).notNull().defaults(to: 0)
                t.column("skipped", .integer).notNull().defaults(to: 0)
                t.column("kernel_drops", .integer).notNull().defaults(to: 0)
                t.column("calls", .integer).notNull().defaults(to: 0)
                t.column("last_skip_reason", .text)
                t.column("pruned", .integer).notNull().defaults(to: 0)
            }
        }
        migrator.registerMigration("v10: porting lifecycle") { db in
            // Documents live as files named by their SHA-256 beside the database (v1 kept the bytes in the row);
            // requests keep their PIN sealed, the carrier's FOC date and a failure's reason; the history says who
            // moved a request from which status (issue 18).
            try db.alter(table: "port_document") { t in
                t.add(column: "sha256", .text)
                t.add(column: "size", .integer)
            }
            try db.alter(table: "port_request") { t in
                t.add(column: "pin", .text)
                t.add(column: "foc_date", .date)
                t.add(column: "failure_reason", .text)
                // The signature of the Letter of Authorization: the typed name, when, from where, the LOA's SHA-256.
                t.add(column: "signed_name", .text)
                t.add(column: "signed_at", .datetime)
                t.add(column: "signed_from", .text)
                t.add(column: "loa_sha256", .text)
                // The signing page's link: only the token's SHA-256 is kept, with when it stops working.
                t.add(column: "signature_token_sha256", .text)
                t.add(column: "signature_expires_at", .datetime)
            }
            try db.alter(table: "port_request_status_history") { t in
                t.add(column: "from_status", .text)
                t.add(column: "who", .text)
            }
        }
        migrator.registerMigration("v11: failover and alerts") { db in
            // Issue 15: the monitor probes every configured endpoint and switches calls between them; alerts open,
            // repeat and resolve with a history; notifications wait in a durable outbox until each channel took them.
            try db.create(table: "endpoint_state") { t in
                t.column("config_id", .text).notNull().references("sip_configuration", onDelete: .cascade)
                t.column("priority", .integer).notNull()
                t.column("state", .text).notNull().check { ["healthy", "degraded", "unreachable", "unchecked"].contains($0) }
                t.column("failures", .integer).notNull()
                t.column("successes", .integer).notNull()
                t.column("since", .datetime).notNull()
                t.column("last_outcome", .text)
                t.column("last_response_code", .integer)
                t.column("last_response_ms", .double)
                t.column("last_message", .text)
                t.column("updated_at", .datetime).notNull()
                t.primaryKey(["config_id", "priority"])
            }
            try db.create(table: "failover_state") { t in
                t.primaryKey("config_id", .text).references("sip_configuration", onDelete: .cascade)
                t.column("active_priority", .integer).notNull().check { (1...3).contains($0) }
                t.column("since", .datetime).notNull()
                t.column("reason", .text)
            }
            try db.create(table: "failover_event") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("config_id", .text).notNull().indexed().references("sip_configuration", onDelete: .cascade)
                t.column("at", .datetime).notNull()
                t.column("from_priority", .integer).notNull()
                t.column("to_priority", .integer).notNull()
                t.column("from_endpoint", .text).notNull()
                t.column("to_endpoint", .text).notNull()
                t.column("trigger", .text).notNull()
                t.column("reason", .text).notNull()
                t.column("actor", .text).notNull()
            }
            try db.create(table: "alert") { t in
                t.primaryKey("id", .text)
                t.column("config_id", .text).notNull().indexed().references("sip_configuration", onDelete: .cascade)
                t.column("priority", .integer).notNull()
                t.column("rule", .text).notNull()
                t.column("status", .text).notNull().check { ["open", "acknowledged", "resolved"].contains($0) }
                t.column("summary", .text).notNull()
                t.column("opened_at", .datetime).notNull()
                t.column("last_notified_at", .datetime)
                t.column("acknowledged_at", .datetime)
                t.column("acknowledged_by", .text)
                t.column("resolved_at", .datetime)
            }
            // At most one unresolved alert per rule and endpoint: an alert opens once.
            try db.execute(sql: "CREATE UNIQUE INDEX alert_unresolved ON alert(config_id, priority, rule) WHERE status != 'resolved'")
            try db.create(table: "alert_event") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("alert_id", .text).notNull().indexed().references("alert", onDelete: .cascade)
                t.column("at", .datetime).notNull()
                t.column("kind", .text).notNull()
                t.column("channel", .text)
                t.column("detail", .text)
            }
            try db.create(table: "outbox") { t in
                t.column("event_id", .text).notNull()
                t.column("channel", .text).notNull().check { ["webhook", "email", "sms"].contains($0) }
                t.column("alert_id", .text).indexed().references("alert", onDelete: .setNull)
                t.column("kind", .text).notNull()
                t.column("recipient", .text).notNull()
                t.column("subject", .text).notNull()
                t.column("text", .text).notNull()
                t.column("payload", .text).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("attempts", .integer).notNull()
                t.column("next_attempt_at", .datetime).notNull()
                t.column("status", .text).notNull().check { ["pending", "delivered", "failed"].contains($0) }
                t.column("last_error", .text)
                t.column("delivered_at", .datetime)
                t.column("response", .text)
                t.primaryKey(["event_id", "channel"])
            }
            try db.create(index: "outbox_due", on: "outbox", columns: ["status", "next_attempt_at"])
            try db.create(table: "notification_settings") { t in
                t.primaryKey("org_id", .text).references("organisation", onDelete: .cascade)
                t.column("smtp_url", .text)
                t.column("smtp_username", .text)
                t.column("smtp_password", .text)
                t.column("smtp_from", .text)
                t.column("smtp_security", .text).notNull().defaults(to: "starttls")
                t.column("smtp_ca_file", .text)
                t.column("sms_url", .text)
                t.column("sms_account", .text)
                t.column("sms_token", .text)
                t.column("sms_from", .text)
                t.column("webhook_secret", .text)
                t.column("webhook_ca_file", .text)
                t.column("renotify_minutes", .integer).notNull().defaults(to: 60)
            }
        }
        migrator.registerMigration("v12: demo trunks") { db in
            // The demo data set's trunks are samples whose endpoints are fictional (RFC 2606 names, RFC 5737
            // addresses): marked, so that no monitor probes them (the dashboard monitors what it shows).
            try db.alter(table: "trunk") { t in
                t.add(column: "demo", .boolean).notNull().defaults(to: false)
            }
        }
        return migrator
    }
}
