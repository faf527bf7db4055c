// @vitest-environment happy-dom
// Words a new user reads first: the sign-in help names the real CLI command, and Settings says what the
// browser's notification permission means rather than its raw value.
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const { default: LoginView } = await import('../../../renderer/src/views/LoginView.vue');
const { default: SettingsView } = await import('../../../renderer/src/views/SettingsView.vue');

describe('first words', () => {
  beforeEach(() => setActivePinia(createPinia()));
  afterEach(() => vi.unstubAllGlobals());

  it('the login help names `airlock reviewers add <name>`, the command gateway/cli has', () => {
    const w = mount(LoginView);
    expect(w.find('#login-help code').text()).toBe('airlock reviewers add <name>');
  });

  it.each([
    ['default', 'not asked yet'],
    ['granted', 'allowed'],
    ['denied', 'blocked'],
  ] as const)('Settings says the notification permission "%s" as "%s"', (permission, words) => {
    vi.stubGlobal('Notification', { permission, requestPermission: async () => permission });
    const w = mount(SettingsView);
    expect(w.find('[data-testid="notification-permission"]').text()).toBe(words);
  });
});
