import { beforeAll, describe, expect, it, vi } from 'vitest';
import { runDemo, type DemoResult } from '../../scripts/demo.js';

const countResources = (type: string) => process.getActiveResourcesInfo().filter((name) => name === type).length;

describe('runDemo', () => {
  let result: DemoResult;
  const lines: string[] = [];
  let listeningBefore = 0;

  beforeAll(async () => {
    listeningBefore = countResources('TCPServerWrap');
    result = await runDemo({ write: (line) => lines.push(line), color: false });
  }, 30_000);

  describe('when six requests follow an expiry', () => {
    it('shows the naive client refreshing for each 401 and losing the session', () => {
      expect(result.naiveSix.tokenCalls).toBeGreaterThan(1);
      expect(result.naiveSix.failed).toBeGreaterThan(result.naiveSix.ok);
      expect(result.naiveSix.sessionWorksAfter).toBe(false);
    });

    it('shows rx-token-http refreshing once and every request succeeding', () => {
      expect(result.oursSix).toMatchObject({ requests: 6, tokenCalls: 1, ok: 6, failed: 0, sessionWorksAfter: true });
    });
  });

  describe('when 1,000 requests follow an expiry', () => {
    it('shows the naive client losing the session', () => {
      expect(result.naiveBurst.tokenCalls).toBeGreaterThan(1);
      expect(result.naiveBurst.sessionWorksAfter).toBe(false);
    });

    it('shows rx-token-http refreshing once and every request succeeding', () => {
      expect(result.oursBurst).toMatchObject({ requests: 1_000, tokenCalls: 1, ok: 1_000, failed: 0, sessionWorksAfter: true });
    });
  });

  describe('when the server revokes the session', () => {
    it('fails every request with TokenRevokedError after one refresh and one session-revoked event', () => {
      expect(result.revoked.ok).toBe(0);
      expect(result.revoked.revokedErrors).toBe(result.revoked.requests);
      expect(result.revoked).toMatchObject({ tokenCalls: 1, sessionRevokedEvents: 1, sessionWorksAfter: false });
    });

    it('sends later requests nowhere', () => {
      expect(result.revoked.apiRequestsAfterRevocation).toBe(0);
    });
  });

  describe('when it has finished', () => {
    it('reports no failure of rx-token-http', () => {
      expect(result.failures).toEqual([]);
    });

    it('prints a timeline and a summary table without colors or tokens', () => {
      const output = lines.join('\n');

      expect(output).toMatch(/\+\s*\d+ ms {2}refresh started \(generation 0\)/);
      expect(output).toMatch(/GET {2}\/api\/profile\s+retried → 200/);
      expect(output).toMatch(/^ {2}scenario\s+client\s+token calls\s+ok\s+failed\s+session afterwards$/m);
      expect(output).not.toContain('\x1b[');
      expect(output).not.toMatch(/[A-Za-z0-9_-]{32,}/);
    });

    it('closes the server it started', async () => {
      // The listening handle leaves the resource list a moment after close() resolves.
      await vi.waitFor(() => expect(countResources('TCPServerWrap')).toBe(listeningBefore), { timeout: 1_000 });
    });
  });
});
