/**
 * The longest delay `setTimeout`/`setInterval` honour (2^31 - 1 ms, about 24.8 days). Longer
 * ones fire at once in browsers and Node, which would turn a far-off timer into a busy loop.
 */
export const MAX_TIMER_DELAY = 2_147_483_647;
