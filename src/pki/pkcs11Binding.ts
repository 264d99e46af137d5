// The part of the optional native module pkcs11js that autoenroll uses, declared here (as
// src/native/gss.ts does for kerberos) so that type checking and the build do not need the module
// installed: it is optional, and a machine without a C++ toolchain has none.

/** An object, slot or session handle. */
export type Pkcs11Handle = Buffer;

export interface Pkcs11Attribute {
  type: number;
  value?: number | boolean | string | Buffer | Date;
}

export type Pkcs11Template = Pkcs11Attribute[];

export interface Pkcs11Mechanism {
  mechanism: number;
  parameter?: Buffer | number;
}

export interface Pkcs11TokenInfo {
  label: string;
  serialNumber: string;
}

export interface Pkcs11Library {
  load(path: string): void;
  C_Initialize(): void;
  C_Finalize(): void;
  C_GetSlotList(tokenPresent?: boolean): Pkcs11Handle[];
  C_GetTokenInfo(slot: Pkcs11Handle): Pkcs11TokenInfo;
  C_OpenSession(slot: Pkcs11Handle, flags: number): Pkcs11Handle;
  C_CloseSession(session: Pkcs11Handle): void;
  C_Login(session: Pkcs11Handle, userType: number, pin?: string): void;
  C_FindObjectsInit(session: Pkcs11Handle, template: Pkcs11Template): void;
  C_FindObjects(session: Pkcs11Handle, maxObjectCount: number): Pkcs11Handle[];
  C_FindObjectsFinal(session: Pkcs11Handle): void;
  C_GetAttributeValue(session: Pkcs11Handle, object: Pkcs11Handle, template: Pkcs11Template): { type: number; value: Buffer }[];
  C_GenerateKeyPairAsync(
    session: Pkcs11Handle,
    mechanism: Pkcs11Mechanism,
    publicTemplate: Pkcs11Template,
    privateTemplate: Pkcs11Template,
  ): Promise<{ privateKey: Pkcs11Handle; publicKey: Pkcs11Handle }>;
  C_SignInit(session: Pkcs11Handle, mechanism: Pkcs11Mechanism, key: Pkcs11Handle): void;
  C_Sign(session: Pkcs11Handle, inData: Buffer, outData: Buffer): Buffer;
  C_DestroyObject(session: Pkcs11Handle, object: Pkcs11Handle): void;
}

/** The PKCS#11 constants autoenroll reads from the module (their values are the standard's). */
type Pkcs11Constant =
  | 'CKA_CLASS' | 'CKA_EC_PARAMS' | 'CKA_EC_POINT' | 'CKA_EXTRACTABLE' | 'CKA_ID' | 'CKA_KEY_TYPE' | 'CKA_LABEL'
  | 'CKA_MODULUS' | 'CKA_MODULUS_BITS' | 'CKA_PRIVATE' | 'CKA_PUBLIC_EXPONENT' | 'CKA_SENSITIVE' | 'CKA_SIGN'
  | 'CKA_TOKEN' | 'CKA_VERIFY' | 'CKF_RW_SESSION' | 'CKF_SERIAL_SESSION' | 'CKK_RSA' | 'CKM_ECDSA'
  | 'CKM_EC_KEY_PAIR_GEN' | 'CKM_RSA_PKCS' | 'CKM_RSA_PKCS_KEY_PAIR_GEN' | 'CKO_PRIVATE_KEY' | 'CKO_PUBLIC_KEY'
  | 'CKR_CRYPTOKI_ALREADY_INITIALIZED' | 'CKR_PIN_INCORRECT' | 'CKR_PIN_INVALID' | 'CKR_PIN_LEN_RANGE'
  | 'CKR_PIN_LOCKED' | 'CKR_USER_ALREADY_LOGGED_IN' | 'CKU_USER';

/** What `require('pkcs11js')` gives. */
export type Pkcs11Binding = { PKCS11: new () => Pkcs11Library } & Readonly<Record<Pkcs11Constant, number>>;
