// The provider's sign-up page. The citizen's key is made here, in the browser, and wrapped
// with the passphrase and with a recovery code before anything is sent: the provider receives
// only the two wrapped files and the public recipient (docs/PROVIDER.md).
import * as age from "age-encryption";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// 160 random bits as eight groups of four base32 letters, like `pod init` makes.
function recoveryCode() {
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  let bits = 0, value = 0, out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.match(/.{4}/g).join("-");
}

function base64(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

async function wrap(identity, secret) {
  const encrypter = new age.Encrypter();
  encrypter.setPassphrase(secret);
  return base64(await encrypter.encrypt(identity));
}

async function signUp(event) {
  event.preventDefault();
  const status = document.getElementById("status");
  const passphrase = document.getElementById("passphrase").value;
  if (passphrase.length < 12) {
    status.textContent = "Je wachtwoordzin moet minstens 12 tekens hebben. / At least 12 characters.";
    return;
  }
  if (passphrase !== document.getElementById("repeat").value) {
    status.textContent = "De twee wachtwoordzinnen verschillen. / The two passphrases differ.";
    return;
  }
  const button = document.querySelector("#signup button");
  button.disabled = true;
  status.textContent = "Je sleutel wordt gemaakt… / Making your key…";
  try {
    const identity = await age.generateIdentity();
    const recipient = await age.identityToRecipient(identity);
    const code = recoveryCode();
    const body = {
      recipient,
      identity: await wrap(identity, passphrase),
      recovery: await wrap(identity, code),
    };
    const answer = await fetch("/signup", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const result = await answer.json();
    if (answer.status !== 201) {
      throw new Error(result.error ? result.error.message : "HTTP " + answer.status);
    }
    document.getElementById("signup").hidden = true;
    document.getElementById("recovery-code").textContent = code;
    document.getElementById("pod-link").href = result.url;
    document.getElementById("done").hidden = false;
    status.textContent = "Je pod is aangemaakt. / Your pod has been created.";
  } catch (error) {
    button.disabled = false;
    status.textContent = "Aanmaken lukte niet: " + error.message;
  }
}

document.getElementById("signup").addEventListener("submit", signUp);
