import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createTray, waitingLabel } from '../../main/tray.js';
import { FakeMenu, FakeTray, fakeGateway, settle, summary, type FakeGateway } from './fakes.js';

describe('tray', () => {
  let gateway: FakeGateway;
  const app = { setBadgeCount: vi.fn(() => true) };
  const handlers = { onOpen: vi.fn(), onPauseIntake: vi.fn(), onSettings: vi.fn(), onQuit: vi.fn() };
  const start = (platform: NodeJS.Platform = 'darwin') =>
    createTray({ Tray: FakeTray, Menu: FakeMenu as never, app, icon: 'tray.png', platform, gateway, ...handlers });

  beforeEach(() => {
    FakeTray.reset();
    gateway = fakeGateway();
    vi.clearAllMocks();
  });

  it('shows the pending count in tooltip, title, menu and the dock badge', async () => {
    start('darwin');
    const [tray] = FakeTray.instances;
    expect(tray.setToolTip).toHaveBeenLastCalledWith('Airlock: nothing waiting');
    gateway.arrive(summary());
    gateway.arrive(summary());
    gateway.arrive(summary());
    await settle();
    expect(tray.setToolTip).toHaveBeenLastCalledWith('Airlock: 3 requests waiting');
    expect(tray.setTitle).toHaveBeenLastCalledWith('3');
    expect(app.setBadgeCount).toHaveBeenLastCalledWith(3);
    expect(tray.menu[0]).toMatchObject({ label: '3 requests waiting', enabled: false });
  });

  it('renders a burst of events once', async () => {
    start();
    const [tray] = FakeTray.instances;
    const before = tray.setToolTip.mock.calls.length;
    for (let i = 0; i < 50; i++) gateway.arrive(summary());
    await settle();
    expect(tray.setToolTip.mock.calls.length - before).toBe(1);
  });

  it('has Open, Pause intake (a checkbox), Settings and Quit', () => {
    start();
    const [tray] = FakeTray.instances;
    expect(tray.menu.filter((i) => i.label).map((i) => i.label)).toEqual([
      'nothing waiting',
      'Open Airlock',
      'Pause intake',
      'Settings…',
      'Quit Airlock',
    ]);
    const pause = tray.item('Pause intake');
    expect(pause).toMatchObject({ type: 'checkbox', checked: false });
    pause.click!({ checked: true } as never, undefined, {} as never);
    expect(handlers.onPauseIntake).toHaveBeenCalledWith(true);
    tray.item('Open Airlock').click!({} as never, undefined, {} as never);
    tray.item('Settings…').click!({} as never, undefined, {} as never);
    tray.item('Quit Airlock').click!({} as never, undefined, {} as never);
    expect(handlers.onOpen).toHaveBeenCalled();
    expect(handlers.onSettings).toHaveBeenCalled();
    expect(handlers.onQuit).toHaveBeenCalled();
  });

  it('shows a paused intake', async () => {
    const tray = start();
    gateway.setIntakePaused(true);
    tray.refresh();
    await settle();
    const [fake] = FakeTray.instances;
    expect(fake.setToolTip).toHaveBeenLastCalledWith('Airlock: nothing waiting (intake paused)');
    expect(fake.item('Pause intake').checked).toBe(true);
  });

  it('is destroyed with the badge cleared and stops listening', () => {
    const tray = start();
    tray.destroy();
    expect(FakeTray.instances[0].destroy).toHaveBeenCalled();
    expect(app.setBadgeCount).toHaveBeenLastCalledWith(0);
    expect(gateway.events.listenerCount('request.pending')).toBe(0);
  });

  it('words the count', () => {
    expect(waitingLabel(1)).toBe('1 request waiting');
    expect(waitingLabel(7)).toBe('7 requests waiting');
  });
});
