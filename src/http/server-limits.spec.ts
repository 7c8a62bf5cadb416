import { openFilesLimit } from './server-limits';

describe('openFilesLimit', () => {
  it("reads the soft limit of Linux's /proc/self/limits", () => {
    const limits = ['Limit                     Soft Limit           Hard Limit           Units', 'Max open files            1024                 524288               files'].join('\n');
    expect(openFilesLimit(limits)).toBe(1024);
  });

  it('knows no limit when it is unlimited or unknown', () => {
    expect(openFilesLimit('Max open files            unlimited            unlimited            files')).toBeUndefined();
    expect(openFilesLimit('')).toBeUndefined();
  });
});
