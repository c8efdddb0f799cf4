import { SendRate } from './send-rate';

describe('SendRate', () => {
  it('lets a second’s worth through at once, then spaces the rest at the rate', () => {
    const rate = new SendRate(10, 0);
    const waits = Array.from({ length: 13 }, () => rate.take(0));
    expect(waits.slice(0, 10)).toEqual(Array(10).fill(0));
    expect(waits.slice(10)).toEqual([100, 200, 300]);
  });

  it('refills with time, never beyond a second’s worth', () => {
    const rate = new SendRate(2, 0);
    expect([rate.take(0), rate.take(0), rate.take(0)]).toEqual([0, 0, 500]);
    expect(rate.take(10_000)).toBe(0);
    expect(rate.take(10_000)).toBe(0);
    expect(rate.take(10_000)).toBe(500);
  });

  it('sends under one a second', () => {
    const rate = new SendRate(0.5, 0);
    expect(rate.take(0)).toBe(0);
    expect(rate.take(0)).toBe(2_000);
  });
});
