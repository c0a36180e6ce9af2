import sodium from 'sodium-native';
import { onionFromPublicKey } from '@peergroup/onionmx';

/** A fresh valid v3 onion address from a real ed25519 key. */
export function newOnion(): string {
  const pk = Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES);
  const sk = Buffer.alloc(sodium.crypto_sign_SECRETKEYBYTES);
  sodium.crypto_sign_keypair(pk, sk);
  return onionFromPublicKey(pk);
}

/** The same address with its checksum broken (one key character changed). */
export function corruptOnion(onion: string): string {
  const c = onion[5] === 'a' ? 'b' : 'a';
  return onion.slice(0, 5) + c + onion.slice(6);
}
