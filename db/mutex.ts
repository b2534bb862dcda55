/** One at a time: `lock()` resolves with the release of the previous holder's turn. */
export class Mutex {
  #tail: Promise<void> = Promise.resolve()
  #held = 0
  get held(): boolean {
    return this.#held > 0
  }
  async lock(): Promise<() => void> {
    this.#held++
    let release!: () => void
    const turn = new Promise<void>((r) => (release = r))
    const before = this.#tail
    this.#tail = before.then(() => turn)
    await before
    return () => {
      this.#held--
      release()
    }
  }
}
