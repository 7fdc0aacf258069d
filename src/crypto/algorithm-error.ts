// What the pure algorithm modules throw for input they refuse (an unknown algorithm, a digest of the wrong length, a
// ciphertext that does not decrypt). They know no HTTP: the keys API maps it to Key Vault's 400 (keys/crypto-operations.ts).
export class KeyAlgorithmError extends Error {
  override readonly name = "KeyAlgorithmError";
}
