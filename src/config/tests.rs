use std::time::Duration;

use clap::CommandFactory;

use super::*;

fn command_line(args: &[&str]) -> CommandLine {
    let mut argv = vec!["frontdesk"];
    argv.extend_from_slice(args);
    CommandLine::from_args(argv).unwrap_or_else(|e| panic!("{e:?}"))
}

fn with_file(contents: &str, args: &[&str]) -> (CommandLine, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("frontdesk.toml");
    std::fs::write(&path, contents).unwrap();
    let mut argv = vec!["--config", path.to_str().unwrap()];
    argv.extend_from_slice(args);
    (command_line(&argv), dir)
}

#[test]
fn flags_beat_the_file_and_the_file_beats_defaults() {
    let (cli, _dir) = with_file(
        "max_message_length = 500\nrate_limit_max_requests = 7\n",
        &["--max-message-length", "800"],
    );
    let settings = Settings::resolve(&cli).unwrap();
    assert_eq!(settings.max_message_length, 800);
    assert_eq!(settings.rate_limit_max_requests, 7);
    assert_eq!(settings.session_timeout, Duration::from_secs(1800));
}

#[test]
fn the_bare_binary_and_serve_read_the_same_settings() {
    let args = ["--bind", "0.0.0.0:9090", "--allow-guests", "yes"];
    let bare = Settings::resolve(&command_line(&args)).unwrap();
    let mut with_serve = vec!["serve"];
    with_serve.extend_from_slice(&args);
    let serve = Settings::resolve(&command_line(&with_serve)).unwrap();
    for settings in [bare, serve] {
        assert_eq!(settings.bind_addr.to_string(), "0.0.0.0:9090");
        assert!(settings.allow_guests);
    }
}

#[test]
fn a_bad_file_value_names_the_setting_in_one_line() {
    for (contents, name) in [
        (
            "rate_limit_max_requests = \"lots\"\n",
            "RATE_LIMIT_MAX_REQUESTS",
        ),
        ("max_message_length = 0\n", "MAX_MESSAGE_LENGTH"),
        ("bind_addr = \"nowhere\"\n", "BIND_ADDR"),
        ("allow_guests = \"maybe\"\n", "ALLOW_GUESTS"),
        ("jwks_url = \"ftp://example.com\"\n", "JWKS_URL"),
        ("max_message_length = [1]\n", "MAX_MESSAGE_LENGTH"),
    ] {
        let (cli, _dir) = with_file(contents, &[]);
        let line = Settings::resolve(&cli).unwrap_err().to_string();
        assert!(line.contains(name), "{contents}: {line}");
        assert!(!line.contains('\n'), "{contents}: {line}");
    }
}

#[test]
fn a_bad_flag_value_names_the_setting_in_one_line() {
    for (args, name) in [
        (
            ["--rate-limit-max-requests", "lots"],
            "RATE_LIMIT_MAX_REQUESTS",
        ),
        (["--bind", "nowhere"], "BIND_ADDR"),
        (["--auto-assign", "perhaps"], "AUTO_ASSIGN"),
    ] {
        let argv = std::iter::once("frontdesk").chain(args);
        match CommandLine::from_args(argv) {
            Err(CommandLineError::Setting(e)) => {
                let line = e.to_string();
                assert!(line.contains(name), "{line}");
                assert!(!line.contains('\n'), "{line}");
            }
            Err(CommandLineError::Usage(e)) => panic!("{args:?}: not a setting error: {e}"),
            Ok(_) => panic!("{args:?} accepted"),
        }
    }
    let line = Settings::resolve(&command_line(&["--max-message-length", "0"]))
        .unwrap_err()
        .to_string();
    assert!(line.contains("MAX_MESSAGE_LENGTH") && line.contains("between 1 and 20000"));
}

#[test]
fn unknown_or_unreadable_files_are_refused() {
    let (cli, _dir) = with_file("max_mesage_length = 5\n", &[]);
    let err = Settings::resolve(&cli).unwrap_err().to_string();
    assert!(err.contains("max_mesage_length"), "{err}");
    let cli = command_line(&["--config", "/nonexistent/frontdesk.toml"]);
    let err = Settings::resolve(&cli).unwrap_err().to_string();
    assert!(err.contains("FRONTDESK_CONFIG"), "{err}");
}

#[test]
fn empty_welcome_turns_it_off_and_secrets_do_not_print() {
    let (cli, _dir) = with_file(
        "welcome_message = \"\"\njwt_secret = \"0123456789abcdef-secret\"\n",
        &[],
    );
    let settings = Settings::resolve(&cli).unwrap();
    assert_eq!(settings.welcome_message, None);
    let secret = settings.user_tokens.jwt_secret.as_ref().unwrap();
    assert_eq!(secret.expose_secret(), "0123456789abcdef-secret");
    assert!(!format!("{settings:?}").contains("0123456789abcdef-secret"));
    let cli = command_line(&["--jwt-secret", "flag-secret-0123456789"]);
    assert!(!format!("{:?}", cli.cli).contains("flag-secret-0123456789"));
}

#[test]
fn a_numeric_secret_stays_text_and_a_bad_one_is_not_repeated() {
    let cli = command_line(&["--jwt-secret", "12345678901234567890"]);
    let settings = Settings::resolve(&cli).unwrap();
    let secret = settings.user_tokens.jwt_secret.unwrap();
    assert_eq!(secret.expose_secret(), "12345678901234567890");
    for (contents, name) in [
        ("jwt_secret = 9876543210987654\n", "JWT_SECRET"),
        ("jwt_secret = 98765432109876543210\n", "FRONTDESK_CONFIG"),
    ] {
        let (cli, _dir) = with_file(contents, &[]);
        let line = Settings::resolve(&cli).unwrap_err().to_string();
        assert!(line.contains(name) && !line.contains("98765"), "{line}");
    }
}

#[test]
fn defaults_are_the_documented_ones() {
    let settings = Settings::default();
    assert_eq!(settings.bind_addr.to_string(), "127.0.0.1:8080");
    assert_eq!(settings.database_path.to_str(), Some("frontdesk.db"));
    assert_eq!(settings.rate_limit_window, Duration::from_secs(60));
    assert_eq!(settings.rate_limit_max_requests, 30);
    assert_eq!(settings.max_message_length, 1000);
    assert_eq!(settings.poll_interval_seconds, 2);
    assert_eq!(settings.user_tokens.jwks_refresh, Duration::from_secs(3600));
    assert_eq!(settings.welcome_message.as_deref(), Some(DEFAULT_WELCOME));
    assert_eq!(settings.reassign_after, None);
    assert_eq!(settings.max_body_bytes, 64 * 1024);
    assert!(!settings.allow_guests && !settings.auto_assign);
}

#[test]
fn help_shows_each_flags_type_and_default() {
    let help = Cli::command().render_long_help().to_string();
    for shown in [
        "--bind <HOST:PORT>",
        "[default: 127.0.0.1:8080]",
        "--max-message-length <N>",
        "[default: 1000]",
        "--allow-guests <BOOL>",
        "[env: JWT_SECRET]",
    ] {
        assert!(help.contains(shown), "{shown} missing from:\n{help}");
    }
}

#[test]
fn trusted_proxies_parse_or_name_the_setting() {
    assert!(Settings::default().trusted_proxies.is_empty());
    let settings = Settings::resolve(&command_line(&[
        "--trusted-proxies",
        "127.0.0.1, 10.0.0.0/8",
    ]))
    .unwrap();
    assert!(!settings.trusted_proxies.is_empty());
    let (cli, _dir) = with_file("trusted_proxies = \"10.0.0.0/40\"\n", &[]);
    let line = Settings::resolve(&cli).unwrap_err().to_string();
    assert!(line.contains("TRUSTED_PROXIES"), "{line}");
}

#[test]
fn flood_and_sign_in_limits_have_documented_defaults() {
    let settings = Settings::default();
    assert_eq!(settings.max_active_sessions_per_user, 5);
    assert_eq!(settings.max_active_guest_sessions_per_address, 20);
    assert_eq!(settings.guest_starts_per_address_per_hour, 30);
    assert_eq!(settings.rate_limit_max_requests_per_user, None);
    assert_eq!(settings.user_message_limit(), 60);
    assert_eq!(settings.login_failures_per_account, 5);
    assert_eq!(settings.login_failures_per_address, 50);
}

#[test]
fn widget_settings_are_read_and_checked() {
    let settings = Settings::resolve(&command_line(&[
        "--allowed-origins",
        " https://Shop.example/ , http://localhost:3000,https://shop.example",
        "--widget-prechat",
        "required",
        "--offline-when-no-agents",
        "on",
    ]))
    .unwrap();
    assert_eq!(
        settings.widget.allowed_origins,
        ["https://shop.example", "http://localhost:3000"]
    );
    assert_eq!(settings.widget.prechat, Prechat::Required);
    assert!(settings.widget.offline_when_no_agents);
    assert!(settings.widget.demo);
    let defaults = Settings::default();
    assert!(defaults.widget.allowed_origins.is_empty());
    assert_eq!(defaults.widget.prechat, Prechat::Optional);
    for (flag, value, name) in [
        ("--allowed-origins", "shop.example", "ALLOWED_ORIGINS"),
        (
            "--allowed-origins",
            "https://shop.example/path",
            "ALLOWED_ORIGINS",
        ),
        ("--widget-prechat", "sometimes", "WIDGET_PRECHAT"),
    ] {
        let error = Settings::resolve(&command_line(&[flag, value])).unwrap_err();
        assert!(error.to_string().contains(name), "{error}");
    }
}

#[test]
fn metrics_token_and_log_format_are_read_and_checked() {
    let defaults = Settings::default();
    assert!(
        defaults.metrics_token.is_none(),
        "metrics are off by default"
    );
    assert_eq!(defaults.log_format, LogFormat::Text);
    let (cli, _dir) = with_file(
        "metrics_token = \"scrape-token-0123456789\"\nlog_format = \"JSON\"\n",
        &[],
    );
    let settings = Settings::resolve(&cli).unwrap();
    assert_eq!(
        settings.metrics_token.as_ref().map(|t| t.expose_secret()),
        Some("scrape-token-0123456789")
    );
    assert_eq!(settings.log_format, LogFormat::Json);
    let empty = Settings::resolve(&command_line(&["--metrics-token", " "])).unwrap();
    assert!(empty.metrics_token.is_none(), "an empty token is no token");
    for (flag, value, name) in [
        ("--metrics-token", "short", "METRICS_TOKEN"),
        (
            "--metrics-token",
            "has a space in it, sadly",
            "METRICS_TOKEN",
        ),
        ("--log-format", "xml", "LOG_FORMAT"),
    ] {
        let line = Settings::resolve(&command_line(&[flag, value]))
            .unwrap_err()
            .to_string();
        assert!(line.contains(name), "{line}");
        assert!(!line.contains("short"), "the token never shows: {line}");
    }
    let help = Cli::command().render_long_help().to_string();
    assert!(help.contains("--metrics-token <TOKEN>"), "{help}");
    assert!(help.contains("--log-format <text|json>"), "{help}");
    assert!(help.contains("[default: text]"), "{help}");
}

#[test]
fn email_settings_are_checked_at_start() {
    let settings = |args: &[&str]| Settings::resolve(&command_line(args));
    let off = settings(&[]).unwrap();
    assert!(off.email.is_none(), "no SMTP_URL: email is off");
    let on = settings(&[
        "--smtp-url",
        "smtp://u:p@mail.example.com:587",
        "--email-from",
        "Shop <support@shop.example>",
        "--notify-email",
        "team@shop.example",
        "--alert-after-minutes",
        "5",
    ])
    .unwrap()
    .email
    .unwrap();
    assert_eq!(on.from, "Shop <support@shop.example>");
    assert_eq!(on.notify.as_deref(), Some("team@shop.example"));
    assert_eq!(on.alert_after, Some(std::time::Duration::from_secs(300)));
    for (args, name) in [
        (vec!["--smtp-url", "http://mail.example.com"], "SMTP_URL"),
        (vec!["--smtp-url", "not a url"], "SMTP_URL"),
        (vec!["--smtp-url", "smtp://mail.example.com"], "EMAIL_FROM"),
        (
            vec![
                "--smtp-url",
                "smtp://m.example.com",
                "--email-from",
                "nobody",
            ],
            "EMAIL_FROM",
        ),
        (
            vec![
                "--smtp-url",
                "smtp://m.example.com",
                "--email-from",
                "a@b.example",
                "--notify-email",
                "team at shop",
            ],
            "NOTIFY_EMAIL",
        ),
    ] {
        let line = settings(&args).unwrap_err().to_string();
        assert!(line.contains(name), "{args:?}: {line}");
        assert!(!line.contains("p@"), "no secret in the message: {line}");
    }
}
