import { fixtureEvent } from './consent-domain.fixtures';
import { foldEvents } from './consent-state';
import { compareStates } from './state-comparison';

describe('compareStates', () => {
  const grant = fixtureEvent({ purpose: 'marketing.email', action: 'GRANT' });
  const withdraw = fixtureEvent({ purpose: 'marketing.email', action: 'WITHDRAW' });

  it('finds no difference between equal folds', () => {
    expect(compareStates(foldEvents([grant, withdraw]), foldEvents([withdraw, grant]))).toEqual([]);
  });

  it('names the purpose, and what each side holds, where they differ', () => {
    const moved = fixtureEvent({ purpose: 'ads.targeted', jurisdiction: 'US-CA' });
    expect(compareStates(foldEvents([grant, withdraw, moved]), foldEvents([grant]))).toEqual([
      { field: 'choice:ads.targeted', replayed: `GRANT by ${moved.eventId}`, stored: null },
      {
        field: 'choice:marketing.email',
        replayed: `WITHDRAW by ${withdraw.eventId}`,
        stored: `GRANT by ${grant.eventId}`,
      },
      { field: 'jurisdiction', replayed: 'US-CA', stored: 'DE' },
    ]);
  });
});
