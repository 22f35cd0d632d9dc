import { describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '../../../functions/access/domain/errors.js';
import { callerFromArn, memberMatches, principalRef } from '../../../functions/access/domain/identity.js';
import { samePerson } from '../../../functions/access/domain/roles.js';
import { ACCOUNT, roleArn, sessionArn, userArn } from '../../helpers/catalog.js';

describe('callerFromArn', () => {
  it('takes an IAM user as its own principal', () => {
    // Act
    const caller = callerFromArn(userArn('alice'));

    // Assess
    expect(caller).toEqual({ arn: userArn('alice'), principalArn: userArn('alice'), accountId: ACCOUNT });
  });

  it('grants an assumed-role session on its role and keeps the session name', () => {
    // Act
    const caller = callerFromArn(sessionArn('ops', 'alice@example.com'));

    // Assess
    expect(caller.arn).toBe(sessionArn('ops', 'alice@example.com'));
    expect(caller.principalArn).toBe(roleArn('ops'));
    expect(caller.sessionName).toBe('alice@example.com');
    expect(caller.accountId).toBe(ACCOUNT);
  });

  it('drops the path of a user or role, as STS session ARNs never carry one', () => {
    expect(callerFromArn(`arn:aws:iam::${ACCOUNT}:user/engineering/alice`).principalArn).toBe(userArn('alice'));
    expect(callerFromArn(`arn:aws:iam::${ACCOUNT}:role/service-role/ops`).principalArn).toBe(roleArn('ops'));
  });

  it('keeps the partition of GovCloud and China ARNs', () => {
    expect(callerFromArn('arn:aws-us-gov:iam::111122223333:user/alice').principalArn).toBe('arn:aws-us-gov:iam::111122223333:user/alice');
  });

  it.each([undefined, null, ''])('refuses a request without identity (%j)', (arn) => {
    expect(() => callerFromArn(arn)).toThrow(UnauthenticatedError);
  });

  it.each([
    'arn:aws:iam::000000000000:root',
    'arn:aws:sts::000000000000:federated-user/alice',
    'arn:aws:iam::000000000000:group/developers',
    'arn:aws:sts::000000000000:assumed-role/ops',
    'alice',
    'arn:aws:iam::12345:user/alice',
  ])('refuses %s as a caller identity', (arn) => {
    expect(() => callerFromArn(arn)).toThrow(UnauthenticatedError);
  });
});

describe('memberMatches', () => {
  it('matches a user member to that user only', () => {
    expect(memberMatches(userArn('alice'), callerFromArn(userArn('alice')))).toBe(true);
    expect(memberMatches(userArn('alice'), callerFromArn(userArn('alicia')))).toBe(false);
  });

  it('matches a role member to any session of that role', () => {
    expect(memberMatches(roleArn('ops'), callerFromArn(sessionArn('ops', 'one')))).toBe(true);
    expect(memberMatches(roleArn('ops'), callerFromArn(sessionArn('ops', 'two')))).toBe(true);
  });

  it('does not match a role member by string prefix', () => {
    expect(memberMatches(roleArn('ops'), callerFromArn(sessionArn('ops-admin', 'one')))).toBe(false);
    expect(memberMatches(roleArn('ops-admin'), callerFromArn(sessionArn('ops', 'one')))).toBe(false);
  });

  it('matches a member written as a session (Identity Center) to that session only', () => {
    // Prepare
    const member = sessionArn('AWSReservedSSO_Dev_abc', 'alice');

    // Act / Assess
    expect(memberMatches(member, callerFromArn(sessionArn('AWSReservedSSO_Dev_abc', 'alice')))).toBe(true);
    expect(memberMatches(member, callerFromArn(sessionArn('AWSReservedSSO_Dev_abc', 'bob')))).toBe(false);
  });

  it('never confuses a user with a role of the same name', () => {
    expect(memberMatches(userArn('ops'), callerFromArn(sessionArn('ops', 'x')))).toBe(false);
    expect(memberMatches(roleArn('alice'), callerFromArn(userArn('alice')))).toBe(false);
  });

  it('never matches across accounts', () => {
    expect(memberMatches('arn:aws:iam::111111111111:user/alice', callerFromArn(userArn('alice')))).toBe(false);
  });

  it('matches a member written with a path', () => {
    expect(memberMatches(`arn:aws:iam::${ACCOUNT}:role/teams/ops`, callerFromArn(sessionArn('ops', 's')))).toBe(true);
  });
});

describe('samePerson', () => {
  it('treats the requester and another session of the same role as the same person', () => {
    // Prepare
    const requester = sessionArn('ops', 'first');
    const other = callerFromArn(sessionArn('ops', 'second'));

    // Act / Assess
    expect(samePerson(other, requester, roleArn('ops'))).toBe(true);
  });

  it('treats the user and the user as the same person', () => {
    expect(samePerson(callerFromArn(userArn('alice')), userArn('alice'), userArn('alice'))).toBe(true);
  });

  it('tells different users apart', () => {
    expect(samePerson(callerFromArn(userArn('bob')), userArn('alice'), userArn('alice'))).toBe(false);
  });
});

describe('principalRef', () => {
  it('names the user or role the IAM adapter acts on', () => {
    expect(principalRef(userArn('alice'))).toEqual({ type: 'user', name: 'alice', accountId: ACCOUNT });
    expect(principalRef(roleArn('ops'))).toEqual({ type: 'role', name: 'ops', accountId: ACCOUNT });
  });

  it('refuses anything that is not a user or role', () => {
    expect(() => principalRef(sessionArn('ops', 'x'))).toThrow(/Not an IAM user or role/);
  });
});
