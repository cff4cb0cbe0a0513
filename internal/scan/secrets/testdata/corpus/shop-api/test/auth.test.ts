import { validatePassword, hashPassword } from '../src/auth';

describe('validatePassword', () => {
  it('rejects short passwords', () => {
    expect(validatePassword('abc')).toBe(false);
  });

  it('rejects passwords without digits', () => {
    expect(validatePassword('correcthorsebattery')).toBe(false);
  });

  it('accepts a long mixed password', () => {
    expect(validatePassword(generatePassword(20))).toBe(true);
  });

  it('hashes with bcrypt', async () => {
    const hash = await hashPassword(generatePassword(16));
    expect(hash).toMatch(/^\$2[aby]\$12\$/);
  });

  it('never logs the password', () => {
    expect(logger.lines.join('\n')).not.toContain('password=');
  });
});
