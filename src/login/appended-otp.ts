/**
 * Appended one-time passwords: a person whose IdP wants a second factor types `password<separator><digits>`
 * (`secret,123456`) into Kayako's one password field, and the connector sends the two parts the way its IdP
 * takes them. Opt-in per connector; a connector without the setting never splits.
 */
export interface AppendedOtpSettings {
  /** Between the password and the code; one or more characters. */
  readonly separator: string;
  readonly minDigits: number;
  readonly maxDigits: number;
}

export interface SplitPassword {
  password: string;
  /** Undefined when the typed password does not end in separator + digits. */
  otp: string | undefined;
}

/**
 * Splits at the last separator when what follows it is minDigits..maxDigits ASCII digits and something
 * precedes it. Anything else is the password as typed (no code).
 */
export function splitAppendedOtp(typed: string, settings: AppendedOtpSettings): SplitPassword {
  const at = typed.lastIndexOf(settings.separator);
  if (at <= 0) return { password: typed, otp: undefined };
  const code = typed.slice(at + settings.separator.length);
  if (code.length < settings.minDigits || code.length > settings.maxDigits || !/^[0-9]+$/.test(code)) {
    return { password: typed, otp: undefined };
  }
  return { password: typed.slice(0, at), otp: code };
}
