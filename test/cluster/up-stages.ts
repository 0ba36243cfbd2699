// What `make up` runs on top of the control plane. Each stage returns how to stop it.
import type { ControlPlane } from './control-plane.ts';

export interface Stages {
  readonly summary: string;
  stop(): Promise<void>;
}

export async function runStages(_cp: ControlPlane, _kubeconfig: string): Promise<Stages> {
  return { summary: '', stop: async () => {} };
}
