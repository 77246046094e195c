//! `pod arrangement plan` as a counsellor runs it: no pod needed.

use std::process::Command;

fn plan(input: &serde_json::Value, json: bool) -> std::process::Output {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), serde_json::to_vec(input).unwrap()).unwrap();
    let mut args = vec!["arrangement", "plan", "--input", file.path().to_str().unwrap()];
    if json {
        args.push("--json");
    }
    Command::new(env!("CARGO_BIN_EXE_pod")).args(&args).output().unwrap()
}

fn case_1() -> serde_json::Value {
    serde_json::json!({"date":"2026-02-01","household":"single","aow":false,"net_income_cents":140150,"existing_deductions_cents":0,
        "floor_override_cents":null,"preference_weighting":false,"min_share_cents":500,"term_cap_months":36,
        "claims":[{"org":"cjib","ref":"Z-1","outstanding_cents":60000,"preferent":false},{"org":"duo","ref":"Z-2","outstanding_cents":120000,"preferent":false},
                  {"org":"cak","ref":"Z-3","outstanding_cents":40000,"preferent":false}],"pause":null})
}

#[test]
fn the_json_plan_has_the_documented_fields_and_exact_cents() {
    let out = plan(&case_1(), true);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys: Vec<&str> = plan.as_object().unwrap().keys().map(String::as_str).collect();
    for key in [
        "norm_cents",
        "norm_valid_from",
        "bvv_max_cents",
        "floor_cents",
        "capacity_cents",
        "outcome",
        "monthly_total_cents",
        "pause_months",
        "term_months",
        "shares",
        "schedule",
        "explanation",
    ] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    assert_eq!(plan["outcome"], "plan");
    assert_eq!(
        plan["shares"],
        serde_json::json!([{"org":"cjib","ref":"Z-1","monthly_cents":1911},{"org":"duo","ref":"Z-2","monthly_cents":3822},{"org":"cak","ref":"Z-3","monthly_cents":1274}])
    );
    assert_eq!(plan["term_months"], 32);
    assert_eq!(plan["schedule"].as_array().unwrap().len(), 32);
    assert!(plan["explanation"]["nl"].as_str().unwrap().contains("beslagvrije voet"));

    let text = plan_text(&case_1());
    assert!(text.contains("Outcome: plan") && text.contains("€70.07"), "{text}");
}

fn plan_text(input: &serde_json::Value) -> String {
    String::from_utf8(plan(input, false).stdout).unwrap()
}

#[test]
fn bad_input_exits_2_and_names_the_field() {
    let mut early = case_1();
    early["date"] = "2024-06-01".into();
    let out = plan(&early, true);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("date:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut unknown = case_1();
    unknown["household"] = "commune".into();
    let out = plan(&unknown, true);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("$.household"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut extra = case_1();
    extra["salary"] = 1.into();
    assert_eq!(plan(&extra, true).status.code(), Some(2));
}
