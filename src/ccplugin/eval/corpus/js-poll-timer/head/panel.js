'use strict';

class StatusPanel {
  constructor(api, render) {
    this.api = api;
    this.render = render;
  }

  async refresh(jobId) {
    this.render(await this.api.status(jobId));
  }

  // called each time the user opens the panel for a job
  open(jobId) {
    setInterval(() => this.refresh(jobId), 1000);
  }

  close() {
    this.render(null);
  }
}

module.exports = { StatusPanel };
