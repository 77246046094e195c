//! P-10: record sizes do not reveal how many claims a citizen has.

use age::secrecy::SecretString;
use fetcher::FetchOptions;
use fetcher::login::DevLogin;
use pod::store::{KdfCost, PodDir, RecordKind};
use source::demo_data::{self, DemoOrg};
use source::local::LocalOrganisation;

const PASSPHRASE: &str = "sizes correct horse battery";
const SEED: u64 = 11;

/// A pod that fetched once from a CJIB where citizen 0 has `claims` matters (distinct real
/// generated matters, taken from other citizens of the same generated CJIB and given citizen 0's
/// BSN and new case references, so that compression cannot fold them into one); returns its
/// folder and the document's length.
async fn pod_with_claims(root: &std::path::Path, claims: usize) -> (PodDir, u64) {
    let (bsn, pin) = demo_data::citizen(SEED, 0);
    let org_dir = root.join(format!("cjib-{claims}"));
    std::fs::create_dir_all(&org_dir).unwrap();
    let mut data = demo_data::generate(DemoOrg::Cjib, 200, SEED).unwrap();
    let mut pool = Vec::new();
    for index in 0..200 {
        let (other, _) = demo_data::citizen(SEED, index);
        if let Some(matters) = data[other.as_str()]["document"]["body"]["financiele_zaken"].as_array() {
            for matter in matters {
                let text = matter.to_string().replace(other.as_str(), bsn.as_str());
                pool.push(text.replace("CJIB", &format!("CJIB{:03}", pool.len())));
            }
        }
    }
    assert!(pool.len() >= claims, "{} distinct matters generated", pool.len());
    let matters = &mut data[bsn.as_str()]["document"]["body"]["financiele_zaken"];
    *matters = serde_json::Value::Array(pool[..claims].iter().map(|text| serde_json::from_str(text).unwrap()).collect());
    std::fs::write(org_dir.join("data.json"), serde_json::to_vec(&data).unwrap()).unwrap();
    let org = LocalOrganisation::start(DemoOrg::Cjib, 2, SEED, &org_dir).await.unwrap();

    let dir = PodDir::new(root.join(format!("pod-{claims}")));
    dir.init(&SecretString::from(PASSPHRASE.to_owned()), KdfCost::InsecureForTests)
        .unwrap();
    let pod = dir.unlock(&SecretString::from(PASSPHRASE.to_owned())).unwrap();
    let mut scheme = pod::scheme::load(&pod).unwrap();
    scheme.pin(org.descriptor().unwrap());
    pod::scheme::save(&pod, &scheme).unwrap();
    let options = FetchOptions::new("http://127.0.0.1:49152/oauth/callback".parse().unwrap());
    let fetched = pod::fetching::fetch_and_store(
        &pod,
        &[org.descriptor().unwrap()],
        &DevLogin::new(bsn.to_string(), pin),
        &options,
        None,
    )
    .await
    .unwrap();
    assert!(fetched[0].result.is_ok(), "{:?}", fetched[0].result);
    let overview = pod::overview::of(&pod, chrono::Utc::now().date_naive(), chrono::Utc::now()).unwrap();
    assert_eq!(overview.organisations[0].matters.len(), claims, "the pod holds {claims} claims");
    let document_len = pod
        .index()
        .unwrap()
        .into_iter()
        .find(|(_, entry)| entry.kind == RecordKind::Document)
        .unwrap()
        .1
        .len;
    (dir, document_len)
}

/// P-10: pods with 1 claim and with 40 claims at one organisation have identical size profiles.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p10_record_sizes_do_not_reveal_claim_counts() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tmp = tempfile::tempdir().unwrap();
    let (one, one_len) = pod_with_claims(tmp.path(), 1).await;
    let (forty, forty_len) = pod_with_claims(tmp.path(), 40).await;
    // The documents really differ in size; only the padding hides it.
    assert!(forty_len > 20 * one_len, "{forty_len} vs {one_len}");
    let one = pod::audit::at_rest(&one).unwrap();
    let forty = pod::audit::at_rest(&forty).unwrap();
    assert!(one.spaces.iter().any(|s| s.space == "records" && s.values > 0));
    assert_eq!(one.size_profile(), forty.size_profile(), "a pod's record sizes tell 1 claim from 40");
}
