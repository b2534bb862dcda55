/** A product of another domain that reads the breached product's outputs (through lineage). */
export interface BlastProduct {
  productId: string
  name: string
  domain: string
  owner: string | null
  /** Datasets between the breached product's outputs and this product's (0: it reads them directly). */
  hops: number
}
